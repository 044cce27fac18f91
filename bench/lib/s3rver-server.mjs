// Runs s3rver (the npm local S3 emulator) on a free loopback port, in its own process, with one
// bucket `bench` stored under the given directory. Prints {"port": N} once listening.
import S3rver from "s3rver";

const server = new S3rver({
  address: "127.0.0.1",
  port: 0,
  silent: true,
  directory: process.argv[2],
  vhostBuckets: false,
  configureBuckets: [{ name: "bench" }],
});
const { port } = await server.run();
process.stdout.write(JSON.stringify({ port }) + "\n");
process.on("SIGTERM", () => server.close().finally(() => process.exit(0)));
