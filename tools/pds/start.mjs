// Start Bluesky's reference PDS (and an in-memory PLC directory) on 127.0.0.1.
//
//   node tools/pds/start.mjs [port]        (PDS_PORT=... also works; default: a free port)
//
// Needs the install made by tools/pds/setup.sh (var/pds/, or PDS_DIR) and the node it
// prints. Prints `READY <url>` once the PDS answers, then runs until SIGTERM/SIGINT.
// The PDS keeps its SQLite files and blobs under the system temporary folder (TMPDIR).
import { createRequire } from 'node:module'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const pdsDir = process.env.PDS_DIR || path.resolve(here, '../../var/pds')

// Servers here call listen(port) with no host, which means every interface. Keep
// them on loopback: nothing outside this machine may reach a test PDS.
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' && typeof args[1] !== 'string') {
    args.splice(1, 0, '127.0.0.1')
  }
  return listen.apply(this, args)
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

const require = createRequire(path.join(pdsDir, 'package.json'))
let entry
try {
  entry = require.resolve('@atproto/dev-env')
} catch {
  console.error(`@atproto/dev-env is not installed in ${pdsDir}: run tools/pds/setup.sh`)
  process.exit(2)
}
const { TestNetworkNoAppView } = await import(pathToFileURL(entry).href)

const port = Number(process.argv[2] || process.env.PDS_PORT || 0) || (await freePort())
const network = await TestNetworkNoAppView.create({ pds: { port, hostname: 'localhost' } })
console.log(`READY http://127.0.0.1:${network.pds.port}`)

let closing = false
async function stop() {
  if (closing) return
  closing = true
  try {
    await network.close()
  } finally {
    process.exit(0)
  }
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
