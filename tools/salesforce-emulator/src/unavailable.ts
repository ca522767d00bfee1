import type { ServerResponse } from 'node:http';

/**
 * APIs the emulator deliberately does not serve answer as a real org answers an API that is not enabled for it,
 * so a client reports a clear reason instead of a routing error.
 */

/** SOAP (Partner, Enterprise, Metadata, Tooling SOAP): a SOAP fault, HTTP 500 as SOAP faults are. */
export function soapUnavailable(res: ServerResponse): void {
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com">' +
    '<soapenv:Body><soapenv:Fault><faultcode>sf:API_DISABLED_FOR_ORG</faultcode>' +
    '<faultstring>API_DISABLED_FOR_ORG: The SOAP API is not enabled for this organization; use OAuth 2.0 and the REST API</faultstring>' +
    '<detail><sf:UnexpectedErrorFault><sf:exceptionCode>API_DISABLED_FOR_ORG</sf:exceptionCode>' +
    '<sf:exceptionMessage>The SOAP API is not enabled for this organization; use OAuth 2.0 and the REST API</sf:exceptionMessage>' +
    '</sf:UnexpectedErrorFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>';
  res.writeHead(500, { 'Content-Type': 'text/xml;charset=UTF-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Bulk API 1.0 (`/services/async/…`): its XML error, FeatureNotEnabled. Bulk API 2.0 is served. */
export function bulkV1Unavailable(res: ServerResponse): void {
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<error xmlns="http://www.force.com/2009/06/asyncapi/dataload"><exceptionCode>FeatureNotEnabled</exceptionCode>' +
    '<exceptionMessage>Bulk API is not enabled for this Organization or Partner; use Bulk API 2.0</exceptionMessage></error>';
  res.writeHead(400, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
