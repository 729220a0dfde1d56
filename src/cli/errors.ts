// The CLI's end of a failure: its line (and, at -v=9, the stack) on stderr. What the line says is decided in
// src/ui/failure.ts, which the commands share for the error of their -o json|yaml documents.
import type { FailureReport } from '../ui/failure';

export function printFailure(report: FailureReport, stderr: NodeJS.WritableStream): number {
  stderr.write(`${report.line}\n`);
  if (report.stack) stderr.write(`${report.stack}\n`);
  return report.exitCode;
}
