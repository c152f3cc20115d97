import { describe, expect, it } from 'vitest';
import { isTransient } from '../../functions/core/errors.js';
import { GoogleApiError, RunPortError, toGoogleApiError } from '../../functions/core/google-api-error.js';
import { LoggingReadError, toLoggingReadError } from '../../functions/backtest/read-entries.js';
import { ProjectListError, toProjectListError } from '../../functions/clients/projects.js';

const grpc = (code: number, details = 'the API says no') =>
  Object.assign(new Error(`${code} X: ${details}`), { code, details });

describe('toGoogleApiError', () => {
  it.each([
    [14, 'unavailable'],
    [4, 'unavailable'],
    [13, 'unavailable'],
    [8, 'unavailable'],
    [10, 'conflict'],
    [7, 'permission-denied'],
    [16, 'permission-denied'],
    [5, 'not-found'],
    [3, 'invalid'],
    [11, 'invalid'],
    [2, 'unknown'],
    [12, 'unknown'],
  ])('gRPC status %i → %s, keeping the status', (status, code) => {
    const e = toGoogleApiError(grpc(status));
    expect(e).toBeInstanceOf(GoogleApiError);
    expect(e).toMatchObject({ name: 'GoogleApiError', code, grpcCode: status, transient: code === 'unavailable' });
  });

  it('FAILED_PRECONDITION is a conflict only when it is about the etag', () => {
    expect(toGoogleApiError(grpc(9, 'etag mismatch')).code).toBe('conflict');
    expect(toGoogleApiError(grpc(9, 'service is being deleted')).code).toBe('unknown');
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ERR_SOCKET_CLOSED'])(
    'the network error %s is unavailable (transient), with no gRPC status',
    (code) => {
      const e = toGoogleApiError(Object.assign(new Error('socket hang up'), { code }));
      expect(e).toMatchObject({ code: 'unavailable', transient: true, grpcCode: null, message: 'socket hang up' });
    },
  );

  it('anything else is unknown and permanent', () => {
    expect(toGoogleApiError(new TypeError('x is not a function'))).toMatchObject({
      code: 'unknown',
      transient: false,
      message: 'x is not a function',
    });
    expect(toGoogleApiError(Object.assign(new Error('nope'), { code: 'EACCES' })).code).toBe('unknown');
    expect(toGoogleApiError('a string').message).toBe('a string');
    expect(toGoogleApiError(null).code).toBe('unknown');
  });

  it("prefers the API's details to the client's message", () => {
    expect(toGoogleApiError(grpc(3, 'field x is bad')).message).toBe('field x is bad');
    expect(toGoogleApiError(Object.assign(new Error('3 INVALID_ARGUMENT: y'), { code: 3, details: '' })).message).toBe(
      '3 INVALID_ARGUMENT: y',
    );
  });

  it('names the permission for permission-denied: from ErrorInfo, else from the message', () => {
    expect(
      toGoogleApiError({ code: 7, details: 'denied', errorInfoMetadata: { permission: 'run.services.update' } })
        .permission,
    ).toBe('run.services.update');
    expect(toGoogleApiError(grpc(7, "Permission 'logging.logEntries.list' denied on resource")).permission).toBe(
      'logging.logEntries.list',
    );
    expect(toGoogleApiError(grpc(3, "Permission 'a.b.c' denied")).permission).toBeNull();
  });

  it('builds the kind it is given, and passes one already of that kind through', () => {
    const run = toGoogleApiError(grpc(14), RunPortError);
    expect(run).toBeInstanceOf(RunPortError);
    expect(run).toBeInstanceOf(GoogleApiError);
    expect(run.name).toBe('RunPortError');
    expect(toGoogleApiError(run, RunPortError)).toBe(run);
  });
});

describe('the per-API errors', () => {
  it('share the codes and the transient flag', () => {
    expect(toProjectListError(grpc(7))).toMatchObject({ name: 'ProjectListError', code: 'permission-denied' });
    expect(toProjectListError(grpc(14))).toBeInstanceOf(ProjectListError);
    const logging = toLoggingReadError(grpc(14, 'try later'), 'p-1');
    expect(logging).toBeInstanceOf(LoggingReadError);
    expect(logging).toMatchObject({ code: 'unavailable', transient: true, grpcCode: 14 });
    expect(logging.message).toBe('Cloud Logging was unavailable reading project "p-1": try later');
  });

  it('isTransient reads the one field', () => {
    expect(isTransient(toGoogleApiError(grpc(14)))).toBe(true);
    expect(isTransient(toGoogleApiError(grpc(14), RunPortError))).toBe(true);
    expect(isTransient(toGoogleApiError(grpc(10), RunPortError))).toBe(false);
    expect(isTransient(new Error('plain'))).toBe(false);
  });
});
