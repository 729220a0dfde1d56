// Kubernetes `Status` failures with the reasons, codes and message wording of a real kube-apiserver.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  /** Omitted when an admission webhook denies without one, as controller-runtime's admission.Errored does. */
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code: number;
}

export class ApiError extends Error {
  readonly headers: Record<string, string> = {};
  constructor(readonly status: Status) {
    super(status.message);
  }
  get code(): number {
    return this.status.code;
  }
}

interface GR {
  group: string;
  plural: string;
}
const qualified = (gr: GR) => (gr.group ? `${gr.plural}.${gr.group}` : gr.plural);

function err(code: number, reason: string, message: string, details?: Status['details']): ApiError {
  return new ApiError({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code });
}

export const Errors = {
  notFound: (gr: GR, name: string) =>
    err(404, 'NotFound', `${qualified(gr)} "${name}" not found`, { name, group: gr.group || undefined, kind: gr.plural }),
  alreadyExists: (gr: GR, name: string) =>
    err(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, { name, group: gr.group || undefined, kind: gr.plural }),
  conflict: (gr: GR, name: string) =>
    err(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(gr)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, group: gr.group || undefined, kind: gr.plural },
    ),
  invalid: (kind: string, group: string, name: string, causes: StatusCause[]) =>
    err(
      422,
      'Invalid',
      `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${listed(causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message ?? '')))}`,
      { name, group: group || undefined, kind, causes },
    ),
  /**
   * A json-patch that cannot be applied (failed `test`, bad path): the patch handler's generic 422
   * (apiserver handlers/patch.go → NewGenericServerResponse with isUnexpectedResponse=false): no causes, so the
   * reason for the failure never reaches the client.
   */
  patchRejected: (detail: string) => {
    void detail;
    return err(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
  },
  badRequest: (message: string) => err(400, 'BadRequest', message),
  unauthorized: () => err(401, 'Unauthorized', 'Unauthorized'),
  forbidden: (gr: GR, name: string | undefined, user: string, verb: string, resource: string, namespace?: string) =>
    err(
      403,
      'Forbidden',
      `${qualified(gr)}${name ? ` "${name}"` : ''} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${gr.group}" ${
        namespace ? `in the namespace "${namespace}"` : 'at the cluster scope'
      }`,
      { name, group: gr.group || undefined, kind: gr.plural },
    ),
  /** An admission webhook's denial, as the API server relays it. */
  webhookDenied: (webhook: string, code: number, message: string) => {
    const e = err(code, '', `admission webhook "${webhook}" denied the request: ${message}`);
    delete e.status.reason;
    return e;
  },
  methodNotSupported: (gr: GR, action: string) =>
    err(405, 'MethodNotAllowed', `${action} is not supported on resources of kind "${qualified(gr)}"`, { group: gr.group || undefined, kind: gr.plural }),
  unsupportedMediaType: (accepted: string[]) =>
    err(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`),
  gone: (message: string) => err(410, 'Expired', message),
  tooManyRequests: (retryAfter: number) => {
    const e = err(429, 'TooManyRequests', 'Too many requests, please try again later.', { retryAfterSeconds: retryAfter });
    e.headers['Retry-After'] = String(retryAfter);
    return e;
  },
  internal: (message: string) => err(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] }),
  unavailable: (message = 'the server is currently unable to handle the request') => err(503, 'ServiceUnavailable', message),
  generic: (code: number, message: string) => err(code, reasonFor(code), message),
};

export function reasonFor(code: number): string {
  switch (code) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 405:
      return 'MethodNotAllowed';
    case 409:
      return 'Conflict';
    case 410:
      return 'Expired';
    case 415:
      return 'UnsupportedMediaType';
    case 422:
      return 'Invalid';
    case 429:
      return 'TooManyRequests';
    case 503:
      return 'ServiceUnavailable';
    case 504:
      return 'Timeout';
    default:
      return code >= 500 ? 'InternalError' : 'Unknown';
  }
}

/** field.ErrorList.ToAggregate() wording: one error bare, several in brackets. */
function listed(msgs: string[]): string {
  return msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`;
}
