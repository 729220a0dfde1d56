// Just enough protobuf to read what typed client-go clients (e.g. `kubectl auth can-i`) send: they encode built-in
// types as `k8s\0` + runtime.Unknown{typeMeta, raw}. Replies stay JSON, which client-go decodes by Content-Type.

type Fields = Map<number, Buffer[]>;

function varint(buf: Buffer, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++];
    result += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) return [result, pos];
    shift += 7;
  }
}

/** Length-delimited and varint fields of one message (varints are stored as their decimal text). */
export function fields(buf: Buffer): Fields {
  const out: Fields = new Map();
  let pos = 0;
  while (pos < buf.length) {
    const [tag, p1] = varint(buf, pos);
    pos = p1;
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    let value: Buffer;
    if (wire === 0) {
      const [v, p2] = varint(buf, pos);
      value = Buffer.from(String(v));
      pos = p2;
    } else if (wire === 2) {
      const [len, p2] = varint(buf, pos);
      value = buf.subarray(p2, p2 + len);
      pos = p2 + len;
    } else if (wire === 1) {
      value = buf.subarray(pos, pos + 8);
      pos += 8;
    } else if (wire === 5) {
      value = buf.subarray(pos, pos + 4);
      pos += 4;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    const list = out.get(field) ?? [];
    list.push(value);
    out.set(field, list);
  }
  return out;
}

const str = (f: Fields, n: number) => f.get(n)?.[0]?.toString('utf8');

export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** authorization.k8s.io/v1 SelfSubjectAccessReview from its protobuf envelope, as JSON. */
export function decodeSsar(body: Buffer): unknown {
  if (!body.subarray(0, 4).equals(PROTOBUF_MAGIC)) throw new Error('not a protobuf envelope');
  const unknown = fields(body.subarray(4));
  const raw = unknown.get(2)?.[0] ?? Buffer.alloc(0);
  const spec = fields(fields(raw).get(2)?.[0] ?? Buffer.alloc(0));
  const ra = spec.get(1)?.[0];
  const nra = spec.get(2)?.[0];
  const out: Record<string, unknown> = {};
  if (ra) {
    const f = fields(ra);
    out.resourceAttributes = { namespace: str(f, 1), verb: str(f, 2), group: str(f, 3), version: str(f, 4), resource: str(f, 5), subresource: str(f, 6), name: str(f, 7) };
  }
  if (nra) {
    const f = fields(nra);
    out.nonResourceAttributes = { path: str(f, 1), verb: str(f, 2) };
  }
  return { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: out };
}
