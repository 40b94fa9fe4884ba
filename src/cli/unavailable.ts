import { isGrpcServiceError } from '@temporalio/client';

/** gRPC's status codes (grpc-js is the SDK's dependency, not ours). */
const GRPC_UNAVAILABLE = 14;
const GRPC_DEADLINE_EXCEEDED = 4;

/** True when the Temporal server stopped answering: gRPC UNAVAILABLE anywhere in the cause chain. */
export function isUnavailable(err: unknown, alsoDeadline = false): boolean {
  for (let e = err; e; e = (e as { cause?: unknown }).cause) {
    if (!isGrpcServiceError(e)) continue;
    const code = Number(e.code);
    if (code === GRPC_UNAVAILABLE || (alsoDeadline && code === GRPC_DEADLINE_EXCEEDED)) return true;
  }
  return false;
}
