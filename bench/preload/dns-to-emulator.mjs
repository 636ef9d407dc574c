// Preload for the processes under test (`node --import ./bench/preload/dns-to-emulator.mjs`):
// WeCom's host names resolve to 127.0.0.1, and a TLS connection to them on port 443 goes to the
// emulator's TLS port instead. Nothing else is touched: other host names resolve as usual, and
// the peers' code is not edited. The emulator's self-signed certificate (names: the WeCom hosts)
// is trusted through NODE_EXTRA_CA_CERTS, so certificate checks stay on.
//
// Why the port mapping: every WeCom library hard-codes https://qyapi.weixin.qq.com (port 443), and
// binding 443 needs root. Rewriting the port inside tls.connect, for these host names only, is
// the smallest change that keeps DNS, TLS (SNI, certificate verification) and HTTP as they are.
//
// BENCH_WECOM_TLS_PORT: the emulator's TLS port (required).
import dns from 'node:dns';
import tls from 'node:tls';
import process from 'node:process';

const HOSTS = new Set(['qyapi.weixin.qq.com', 'open.weixin.qq.com', 'open.work.weixin.qq.com', 'login.work.weixin.qq.com']);
const tlsPort = Number(process.env.BENCH_WECOM_TLS_PORT);
if (!Number.isInteger(tlsPort) || tlsPort <= 0) throw new Error('dns-to-emulator: set BENCH_WECOM_TLS_PORT to the emulator TLS port');

const isWeCom = (host) => typeof host === 'string' && HOSTS.has(host.toLowerCase().replace(/\.$/, ''));

const originalLookup = dns.lookup;
function lookup(hostname, options, callback) {
  if (typeof options === 'function') {
    callback = options;
    options = {};
  }
  if (!isWeCom(hostname)) return originalLookup.call(dns, hostname, options, callback);
  const all = typeof options === 'object' && options !== null && options.all === true;
  process.nextTick(() => (all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4)));
  return undefined;
}
dns.lookup = lookup;

const originalPromisesLookup = dns.promises.lookup;
dns.promises.lookup = function promisesLookup(hostname, options) {
  if (!isWeCom(hostname)) return originalPromisesLookup.call(dns.promises, hostname, options);
  const all = typeof options === 'object' && options !== null && options.all === true;
  return Promise.resolve(all ? [{ address: '127.0.0.1', family: 4 }] : { address: '127.0.0.1', family: 4 });
};

const originalConnect = tls.connect;
tls.connect = function connect(...args) {
  const [first, second] = args;
  // tls.connect(options[, cb]) is what https.Agent uses; tls.connect(port, host, options[, cb]) also exists.
  if (typeof first === 'object' && first !== null) {
    const host = first.host ?? first.servername;
    if (isWeCom(host) && (first.port === undefined || Number(first.port) === 443)) {
      // Our lookup, whatever the caller brought (a DNS cache would ask real DNS otherwise).
      args[0] = { ...first, port: tlsPort, servername: first.servername ?? host, lookup };
    }
  } else if ((typeof first === 'number' || typeof first === 'string') && Number(first) === 443 && isWeCom(second)) {
    args[0] = tlsPort;
  }
  return originalConnect.apply(tls, args);
};
