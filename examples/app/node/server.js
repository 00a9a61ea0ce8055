// shipshape reference app, Node flavour: the fixture for the PM2 runtime.
// /health, /slow?seconds=N, every response carries X-App-Version. Under PM2
// cluster mode it says "ready" once listening (wait_ready) and, on SIGINT,
// stops accepting and lets in-flight requests finish before exiting.
'use strict';
const http = require('http');

const version = process.env.APP_VERSION || 'dev';
const port = Number(process.env.PORT || 3000);
const host = process.env.HOST || '127.0.0.1';

function log(message, fields) {
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), level: 'info', message, version, pid: process.pid, ...fields }) + '\n');
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const send = (status, body) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'X-App-Version': version });
    res.end(JSON.stringify(body));
  };
  if (url.pathname === '/health') return send(200, { status: 'ok', version, pid: process.pid });
  if (url.pathname === '/slow') {
    const seconds = Math.min(Number(url.searchParams.get('seconds') || 5), 60);
    return setTimeout(() => send(200, { slept: seconds, version }), seconds * 1000);
  }
  if (url.pathname === '/') return send(200, { app: 'shipshape-reference-node', version });
  return send(404, { error: 'not found' });
});
server.keepAliveTimeout = 65000;

server.listen(port, host, () => {
  log('started', { port });
  if (process.send) process.send('ready');
});

function shutdown(signal) {
  log('stopping', { signal });
  server.close(() => {
    log('stopped');
    process.exit(0);
  });
  // Idle keep-alive connections would hold close() open; in-flight requests still finish.
  if (server.closeIdleConnections) server.closeIdleConnections();
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
