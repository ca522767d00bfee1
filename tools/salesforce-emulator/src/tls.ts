import { generate } from 'selfsigned';

export interface TlsCredentials {
  key: string;
  cert: string;
}

/** A self-signed certificate for the loopback names, made at start: clients trust it by its PEM, never by default. */
export async function selfSignedCertificate(host: string): Promise<TlsCredentials> {
  const altNames = [
    { type: 2 as const, value: 'localhost' },
    { type: 7 as const, ip: '127.0.0.1' },
    ...(host !== '127.0.0.1' && host !== 'localhost' && host !== '0.0.0.0' ? [/^[\d.]+$/.test(host) ? { type: 7 as const, ip: host } : { type: 2 as const, value: host }] : []),
  ];
  const pems = await generate([{ name: 'commonName', value: 'salesforce-emulator' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
