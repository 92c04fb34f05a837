// ethers 6's WebSocketProvider against a rollup's WebSocket endpoint, as a dApp's front end uses
// it: `block` events (eth_subscribe newHeads) and a log filter on the token (eth_subscribe logs).
// Usage: node watch.mjs <ws-url> <token address> <blocks to wait for>
// Prints "READY" once subscribed, then one JSON line with what it saw, and exits.
import { WebSocketProvider } from "ethers";

const [url, token, wanted] = process.argv.slice(2);
const provider = new WebSocketProvider(url);
const blocks = [];
const logs = [];

const done = new Promise((resolve) => {
  provider.on("block", (number) => {
    blocks.push(number);
    if (blocks.length >= Number(wanted)) resolve();
  });
});
provider.on({ address: token }, (log) => logs.push({ block: log.blockNumber, index: log.index, hash: log.transactionHash }));

const network = await provider.getNetwork();
// ethers subscribes lazily: wait until both subscriptions exist before the test ticks.
await new Promise((resolve) => setTimeout(resolve, 1500));
console.log("READY");
await done;
await new Promise((resolve) => setTimeout(resolve, 1500)); // the last block's logs follow its header
console.log(JSON.stringify({ chainId: Number(network.chainId), blocks, logs }));
await provider.destroy();
