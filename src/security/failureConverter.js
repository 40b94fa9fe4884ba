// Loaded by path (DataConverter.failureConverterPath) by workers, clients and the workflow bundler:
// error messages and stack traces travel as an encoded payload, so the payload codec encrypts them too.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
