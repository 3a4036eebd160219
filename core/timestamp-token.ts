/**
 * RFC 3161 time-stamp tokens over custody checkpoints: the request exhibit sends to a
 * time-stamping authority (TSA), and the full check of its reply, as `openssl ts -verify` does it:
 * the reply grants a token; the token is CMS SignedData holding a TSTInfo; its message imprint is
 * the hash of the data; the signed attributes bind the TSTInfo (message digest), name the TSA's
 * certificate (ESS signing certificate, v1 or v2) and are signed by that certificate's key; the
 * certificate is for time-stamping, valid at the time it states, and chains to a configured CA.
 * DER is read with core/der.ts; certificates and signatures with node:crypto (OpenSSL).
 */
import crypto, { X509Certificate } from 'node:crypto';
import {
  children,
  contents,
  DerError,
  derElement,
  derOid,
  derSequence,
  derUnsignedInteger,
  expectTag,
  parseDer,
  readGeneralizedTime,
  readIntegerHex,
  readOid,
  readSmallInteger,
  TAG,
  whole,
  type Der,
} from './der.js';

const OID = {
  signedData: '1.2.840.113549.1.7.2',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingCertificate: '1.2.840.113549.1.9.16.2.12',
  signingCertificateV2: '1.2.840.113549.1.9.16.2.47',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ed25519: '1.3.101.112',
  rsassaPss: '1.2.840.113549.1.1.10',
};

const DIGESTS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const SHA256_OID = '2.16.840.1.101.3.4.2.1';

export class TimestampError extends Error {}

export interface TimestampFacts {
  time: Date; // the TSTInfo's genTime: when the TSA says the data existed
  serial: string; // the token's serial number, hex
  tsa: string; // the subject of the TSA's certificate
  policy: string;
  nonce?: string; // hex
}

/** A TimeStampReq for the SHA-256 of `data`, asking for the TSA's certificate in the token. */
export function timestampRequest(data: Uint8Array, nonce: Uint8Array): Buffer {
  const imprint = derSequence(derSequence(derOid(SHA256_OID), derElement(TAG.NULL, Buffer.alloc(0))), derElement(TAG.OCTET_STRING, crypto.createHash('sha256').update(data).digest()));
  return derSequence(derUnsignedInteger(Buffer.from([1])), imprint, derUnsignedInteger(nonce), derElement(TAG.BOOLEAN, Buffer.from([0xff])));
}

/** The certificates of a PEM file (a CA, or a CA and its intermediates). */
export function readCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

/**
 * Check a TSA's reply (TimeStampResp, DER) for `data` against the trusted CA certificates; returns
 * what it proves or throws TimestampError saying what fails. `nonce` (hex), when given, must match.
 */
export function checkTimestamp(reply: Uint8Array, data: Uint8Array, trusted: readonly X509Certificate[], nonce?: string): TimestampFacts {
  try {
    return check(reply, data, trusted, nonce);
  } catch (err) {
    if (err instanceof TimestampError) throw err;
    if (err instanceof DerError) throw new TimestampError(`the token is not well-formed DER (${err.message})`);
    // Every byte of a token comes from the file beside the image: whatever else it makes fail (a
    // certificate OpenSSL cannot parse, a structure shorter than its kind) is the token failing.
    throw new TimestampError(`the token cannot be read: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function check(reply: Uint8Array, data: Uint8Array, trusted: readonly X509Certificate[], nonce?: string): TimestampFacts {
  const fail = (m: string): never => {
    throw new TimestampError(m);
  };
  const resp = children(expectTag(parseDer(reply), TAG.SEQUENCE, 'TimeStampResp'));
  const status = readSmallInteger(children(expectTag(resp[0], TAG.SEQUENCE, 'PKIStatusInfo'))[0]!);
  if (status !== 0 && status !== 1) fail(`the time-stamping authority refused the request (status ${status})`);
  const ci = children(expectTag(resp[1], TAG.SEQUENCE, 'ContentInfo'));
  if (readOid(ci[0]!) !== OID.signedData) fail('the token is not CMS SignedData');
  const sd = children(expectTag(children(expectTag(ci[1], 0xa0, 'content'))[0], TAG.SEQUENCE, 'SignedData'));
  const encap = children(expectTag(sd[2], TAG.SEQUENCE, 'EncapsulatedContentInfo'));
  if (readOid(encap[0]!) !== OID.tstInfo) fail('the token does not hold a TSTInfo');
  const eContent = contents(expectTag(children(expectTag(encap[1], 0xa0, 'eContent'))[0], TAG.OCTET_STRING, 'eContent'));
  const tst = children(expectTag(parseDer(eContent), TAG.SEQUENCE, 'TSTInfo'));
  const policy = readOid(tst[1]!);
  const imprint = children(expectTag(tst[2], TAG.SEQUENCE, 'MessageImprint'));
  const imprintAlg = DIGESTS[readOid(children(expectTag(imprint[0], TAG.SEQUENCE, 'hash algorithm'))[0]!)] ?? fail('the token hashes with an algorithm exhibit does not check');
  const hashed = contents(expectTag(imprint[1], TAG.OCTET_STRING, 'hashed message'));
  if (imprintAlg === 'sha1') fail('the token holds a SHA-1 imprint, which exhibit does not accept');
  if (!Buffer.from(hashed).equals(crypto.createHash(imprintAlg).update(data).digest())) fail(`its message imprint is not the ${imprintAlg.toUpperCase()} of the checkpoint: the token is for other data`);
  const serial = readIntegerHex(tst[3]!);
  const time = readGeneralizedTime(tst[4]!);
  const tokenNonce = tst.slice(5).find((d) => d.tag === TAG.INTEGER);
  if (nonce !== undefined && (!tokenNonce || readIntegerHex(tokenNonce) !== nonce.replace(/^(00)+(?=.)/, ''))) fail('the reply does not carry the nonce exhibit sent');

  // Certificates in the token ([0]), then the signer infos (the last element).
  const certs = sd.filter((d) => d.tag === 0xa0).flatMap((d) => children(d).filter((c) => c.tag === TAG.SEQUENCE).map((c) => new X509Certificate(Buffer.from(whole(c)))));
  const signerInfos = children(expectTag(sd[sd.length - 1], TAG.SET, 'SignerInfos'));
  if (signerInfos.length !== 1) fail(`the token has ${signerInfos.length} signers, not one`);
  const si = children(expectTag(signerInfos[0], TAG.SEQUENCE, 'SignerInfo'));
  const digestAlg = DIGESTS[readOid(children(expectTag(si[2], TAG.SEQUENCE, 'digest algorithm'))[0]!)] ?? fail('the token is signed with a digest exhibit does not check');
  const signedAttrs = expectTag(si[3], 0xa0, 'signed attributes');
  const attrs = new Map<string, Der[]>();
  for (const a of children(signedAttrs)) {
    const parts = children(expectTag(a, TAG.SEQUENCE, 'attribute'));
    attrs.set(readOid(parts[0]!), children(expectTag(parts[1], TAG.SET, 'attribute values')));
  }
  if (attrs.get(OID.contentType)?.[0] === undefined || readOid(attrs.get(OID.contentType)![0]!) !== OID.tstInfo) fail('its signed content type is not TSTInfo');
  const md = attrs.get(OID.messageDigest)?.[0] ?? fail('it has no signed message digest');
  if (!Buffer.from(contents(expectTag(md, TAG.OCTET_STRING, 'message digest'))).equals(crypto.createHash(digestAlg).update(eContent).digest())) {
    fail('its signed message digest does not match the TSTInfo: the time or imprint in it was changed');
  }
  const signer = essCertificate(attrs, [...certs, ...trusted]) ?? fail("it does not name the TSA's certificate (ESS signing certificate), or that certificate is not in the token or the CA file");
  const sigAlg = readOid(children(expectTag(si[4], TAG.SEQUENCE, 'signature algorithm'))[0]!);
  const signature = contents(expectTag(si[5], TAG.OCTET_STRING, 'signature'));
  const signedBytes = Buffer.from(whole(signedAttrs));
  signedBytes[0] = TAG.SET; // the signature covers the attributes as a SET OF, not as [0]
  if (sigAlg === OID.rsassaPss) fail('the token is signed with RSASSA-PSS, which exhibit does not check yet');
  let good = false;
  try {
    good = crypto.verify(sigAlg === OID.ed25519 ? null : digestAlg, signedBytes, signer.publicKey, signature);
  } catch {
    good = false;
  }
  if (!good) fail("the TSA's signature does not match the token: the token was changed");

  if (!(signer.keyUsage ?? []).includes(OID.timeStamping)) fail(`the certificate that signed it (${signer.subject.replace(/\n/g, ', ')}) is not one for time-stamping`);
  chainToTrusted(signer, certs, trusted, time);
  return { time, serial, tsa: signer.subject.replace(/\n/g, ', '), policy, ...(tokenNonce ? { nonce: readIntegerHex(tokenNonce) } : {}) };
}

/** The certificate the ESS signing certificate attribute names by hash (v2: its algorithm, SHA-256 by default; v1: SHA-1). */
function essCertificate(attrs: Map<string, Der[]>, candidates: readonly X509Certificate[]): X509Certificate | undefined {
  const v2 = attrs.get(OID.signingCertificateV2)?.[0];
  const v1 = attrs.get(OID.signingCertificate)?.[0];
  const ess = v2 ?? v1;
  if (!ess) return undefined;
  const first = children(expectTag(children(expectTag(ess, TAG.SEQUENCE, 'SigningCertificate'))[0], TAG.SEQUENCE, 'certificates'))[0];
  const id = children(expectTag(first, TAG.SEQUENCE, 'ESSCertID'));
  let alg = v2 ? 'sha256' : 'sha1';
  let hashAt = 0;
  if (v2 && id[0]?.tag === TAG.SEQUENCE) {
    alg = DIGESTS[readOid(children(id[0])[0]!)] ?? 'unknown';
    hashAt = 1;
  }
  if (alg === 'unknown') return undefined;
  const want = Buffer.from(contents(expectTag(id[hashAt], TAG.OCTET_STRING, 'certificate hash')));
  return candidates.find((c) => crypto.createHash(alg).update(c.raw).digest().equals(want));
}

function validAt(c: X509Certificate, t: Date): boolean {
  return Date.parse(c.validFrom) <= t.getTime() && t.getTime() <= Date.parse(c.validTo);
}

/** From the TSA's certificate up to one of the trusted CA certificates, each link signed by the next and valid at `time`. */
function chainToTrusted(signer: X509Certificate, pool: readonly X509Certificate[], trusted: readonly X509Certificate[], time: Date): void {
  let current = signer;
  for (let depth = 0; depth < 8; depth++) {
    if (!validAt(current, time)) throw new TimestampError(`the certificate ${current.subject.replace(/\n/g, ', ')} was not valid at the time the token states (${time.toISOString()})`);
    if (trusted.some((t) => t.fingerprint256 === current.fingerprint256)) return;
    const anchor = trusted.find((t) => current.checkIssued(t) && current.verify(t.publicKey));
    if (anchor) {
      if (!validAt(anchor, time)) throw new TimestampError(`the CA certificate ${anchor.subject.replace(/\n/g, ', ')} was not valid at the time the token states`);
      return;
    }
    const up = pool.find((c) => c.ca && c.fingerprint256 !== current.fingerprint256 && current.checkIssued(c) && current.verify(c.publicKey));
    if (!up) break;
    current = up;
  }
  throw new TimestampError("the TSA's certificate does not chain to the configured CA");
}


/** A positive 64-bit nonce for a request, and its hex as the reply must carry it. */
export function newNonce(): { bytes: Buffer; hex: string } {
  const bytes = crypto.randomBytes(8);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01; // positive, and no leading zero byte
  return { bytes, hex: bytes.toString('hex') };
}
