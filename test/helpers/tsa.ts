/**
 * A real RFC 3161 time-stamping authority for tests: a CA and a TSA certificate made here with
 * openssl, and `openssl ts -reply` behind a tiny HTTP server on 127.0.0.1, run as a process of its
 * own (the in-process `run()` blocks this thread while exhibit works, so the server cannot live here).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface TestTsa {
  url: string;
  caFile: string; // the CA certificate (PEM) tokens chain to
  dir: string;
  stop: () => Promise<void>;
}

const CONFIG = `
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = .
serial = ./serial
crypto_device = builtin
signer_cert = ./tsa.pem
certs = ./ca.pem
signer_key = ./tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
[ tsa_ext ]
basicConstraints = critical,CA:FALSE
extendedKeyUsage = critical,timeStamping
keyUsage = critical,digitalSignature
[ ca_ext ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ req ]
distinguished_name = dn
[ dn ]
`;

const SERVER = `
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
const dir = process.argv[2];
let n = 0;
const server = http.createServer((req, res) => {
  const parts = [];
  req.on('data', (c) => parts.push(c));
  req.on('end', () => {
    const q = path.join(dir, 'q' + ++n + '.tsq');
    const r = path.join(dir, 'r' + n + '.tsr');
    fs.writeFileSync(q, Buffer.concat(parts));
    try {
      execFileSync('openssl', ['ts', '-reply', '-queryfile', q, '-config', path.join(dir, 'tsa.cnf'), '-out', r], { cwd: dir, stdio: 'ignore' });
      res.writeHead(200, { 'content-type': 'application/timestamp-reply' });
      res.end(fs.readFileSync(r));
    } catch {
      res.writeHead(500);
      res.end();
    }
  });
});
server.listen(0, '127.0.0.1', () => console.log(String(server.address().port)));
`;

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

/** Make the CA and the TSA's key and certificate in `dir`, and start the server. */
export async function startTsa(dir: string): Promise<TestTsa> {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'tsa.cnf'), CONFIG);
  fs.writeFileSync(path.join(dir, 'serial'), '01\n');
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=exhibit test CA', '-config', 'tsa.cnf', '-extensions', 'ca_ext']);
  openssl(dir, ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'tsa.key', '-out', 'tsa.csr', '-subj', '/CN=exhibit test TSA', '-config', 'tsa.cnf']);
  openssl(dir, ['x509', '-req', '-in', 'tsa.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'tsa.pem', '-days', '30', '-extfile', 'tsa.cnf', '-extensions', 'tsa_ext']);
  fs.writeFileSync(path.join(dir, 'server.mjs'), SERVER);
  const child: ChildProcess = spawn(process.execPath, [path.join(dir, 'server.mjs'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the test TSA ended (${code})`)));
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
  });
  return {
    url: `http://127.0.0.1:${port}/tsr`,
    caFile: path.join(dir, 'ca.pem'),
    dir,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
