import { ApiError, errorOn } from './api-error';

describe('ApiError', () => {
  it("reads the API's error shape and says which field it names", () => {
    const error = ApiError.from(400, { error: { code: 'INVALID_MAPPING', message: 'destination.contactMappings[1] (x → Title): no', errorId: 'e-1', field: 'destination.contactMappings[1]' } });
    expect(error).toMatchObject({ status: 400, code: 'INVALID_MAPPING', errorId: 'e-1', field: 'destination.contactMappings[1]' });
    expect(errorOn(error, 'destination.contactMappings[1]')).toContain('no');
    expect(errorOn(error, 'destination.contactMappings')).toContain('no');
    expect(errorOn(error, 'destination.contactMappings[10]')).toBeUndefined();
    expect(errorOn(error, 'name')).toBeUndefined();
  });

  it('still gives a readable error for a body in another shape', () => {
    expect(ApiError.from(502, '<html>bad gateway</html>')).toMatchObject({ code: 'HTTP_502', message: 'the API answered 502', errorId: null });
  });
});
