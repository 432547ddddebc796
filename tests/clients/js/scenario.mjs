// The @azure/storage-blob (JavaScript SDK) scenario the conformance suite runs against a real
// Strongroom server (tests/Strongroom.Conformance.Tests/Clients/JavaScriptSdkTests.cs).
//
// Environment:
//   STRONGROOM_CONNECTION_STRING  the account's connection string (path-style BlobEndpoint)
//   STRONGROOM_JS_SDK_DIR         a directory whose node_modules holds @azure/storage-blob
//                                 (test.sh installs the pinned version into .build/tools/storage-blob)
//   STRONGROOM_SCENARIO_SEED      seed of the generated payloads (default 8)
//
// Groups: core, sas, leases, append, page, tags (snapshots, index tags), tier, batch
// (BlobBatchClient), service (properties, account information).
//
// Prints one line per step, "PASS group/step" or "FAIL group/step: reason", then a summary line;
// exits 1 when a step failed. Steps are independent within their group: a failing step does not
// stop the others, so one run reports everything that differs from Azure.
import { createRequire } from "node:module";
import { join } from "node:path";

const sdkDirectory = process.env.STRONGROOM_JS_SDK_DIR;
const connectionString = process.env.STRONGROOM_CONNECTION_STRING;
if (!sdkDirectory || !connectionString) {
  console.error("scenario.mjs: STRONGROOM_JS_SDK_DIR and STRONGROOM_CONNECTION_STRING are required.");
  process.exit(2);
}

const require = createRequire(join(sdkDirectory, "scenario-resolver.cjs"));
const {
  AccountSASPermissions,
  AnonymousCredential,
  BlobClient,
  BlobBatch,
  BlobSASPermissions,
  BlobServiceClient,
  ContainerClient,
  ContainerSASPermissions,
  newPipeline,
} = require("@azure/storage-blob");

// Deterministic payloads: mulberry32 over the seed.
let state = Number.parseInt(process.env.STRONGROOM_SCENARIO_SEED ?? "8", 10) >>> 0;
function nextUint32() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}
function payload(length) {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    bytes[i] = nextUint32() & 0xff;
  }
  return bytes;
}

// No retries: a failure is the server's first answer.
const pipelineOptions = { retryOptions: { maxTries: 1 } };
const service = BlobServiceClient.fromConnectionString(connectionString, pipelineOptions);
const anonymousPipeline = newPipeline(new AnonymousCredential(), pipelineOptions);

const results = [];
async function step(name, body) {
  try {
    await body();
    results.push({ name, ok: true });
    console.log(`PASS ${name}`);
  } catch (error) {
    const reason = describe(error);
    results.push({ name, ok: false, reason });
    console.log(`FAIL ${name}: ${reason}`);
  }
}

function describe(error) {
  if (error && typeof error === "object" && "statusCode" in error) {
    return `${error.statusCode} ${errorCode(error) ?? "<no error code>"}: ${String(error.message).split("\n")[0]}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function errorCode(error) {
  return error?.details?.errorCode ?? error?.code;
}

function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

function sameBytes(expected, actual, what) {
  check(Buffer.isBuffer(actual), `${what}: no bytes`);
  if (expected.equals(actual)) {
    return;
  }
  let first = 0;
  while (first < Math.min(expected.length, actual.length) && expected[first] === actual[first]) {
    first++;
  }
  throw new Error(`${what}: expected ${expected.length} bytes, got ${actual.length}; first difference at ${first}`);
}

async function fails(status, code, body, what) {
  try {
    await body();
  } catch (error) {
    check(
      error?.statusCode === status && (code === null || errorCode(error) === code),
      `${what}: expected ${status} ${code ?? ""}, got ${describe(error)}`);
    return;
  }
  throw new Error(`${what}: expected ${status} ${code ?? ""}, but it succeeded`);
}

async function readAll(readable) {
  const chunks = [];
  for await (const chunk of readable) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function download(blob, offset, count) {
  const response = await blob.download(offset, count);
  return { response, bytes: await readAll(response.readableStreamBody) };
}

const blockId = (n) => Buffer.from(`block-${String(n).padStart(6, "0")}`).toString("base64");
const hour = 60 * 60 * 1000;

// ---- core: containers, blocks, ranged reads, listings, metadata, deletes ----
const containerName = `js-scenario-${process.pid}`;
const container = service.getContainerClient(containerName);
const staged = payload(3 * 100_000 + 17);
const parallel = payload(1_200_000);

await step("core/create container with metadata", async () => {
  await container.create({ metadata: { owner: "scenario" } });
  const properties = await container.getProperties();
  check(properties.metadata?.owner === "scenario", `metadata: ${JSON.stringify(properties.metadata)}`);
});

await step("core/create existing container is 409 ContainerAlreadyExists", async () => {
  await fails(409, "ContainerAlreadyExists", () => container.create(), "second create");
});

await step("core/list containers by prefix", async () => {
  const names = [];
  for await (const item of service.listContainers({ prefix: "js-scenario-", includeMetadata: true })) {
    names.push(item.name);
    if (item.name === containerName) {
      check(item.metadata?.owner === "scenario", `listed metadata: ${JSON.stringify(item.metadata)}`);
    }
  }
  check(names.includes(containerName), `not listed: ${names.join(",")}`);
});

await step("core/stage blocks, uncommitted list, commit", async () => {
  const blob = container.getBlockBlobClient("blocks/staged.bin");
  const parts = [staged.subarray(0, 100_000), staged.subarray(100_000, 200_000), staged.subarray(200_000)];
  for (let i = 0; i < parts.length; i++) {
    await blob.stageBlock(blockId(i), parts[i], parts[i].length);
  }
  const uncommitted = await blob.getBlockList("uncommitted");
  check(uncommitted.uncommittedBlocks?.length === 3, `uncommitted: ${uncommitted.uncommittedBlocks?.length}`);
  await blob.commitBlockList([blockId(0), blockId(1), blockId(2)], {
    blobHTTPHeaders: { blobContentType: "application/x-scenario" },
    metadata: { kind: "staged" },
  });
  const committed = await blob.getBlockList("committed");
  check(committed.committedBlocks?.map((b) => b.size).join(",") === "100000,100000,100017",
    `committed sizes: ${committed.committedBlocks?.map((b) => b.size)}`);
  const { response, bytes } = await download(blob);
  sameBytes(staged, bytes, "download of the committed blob");
  check(response.contentType === "application/x-scenario", `content type ${response.contentType}`);
  check(response.metadata?.kind === "staged", `metadata ${JSON.stringify(response.metadata)}`);
});

await step("core/parallel upload in blocks and download", async () => {
  const blob = container.getBlockBlobClient("blocks/parallel.bin");
  await blob.uploadData(parallel, { blockSize: 256 * 1024, maxSingleShotSize: 256 * 1024, concurrency: 4 });
  const list = await blob.getBlockList("committed");
  check(list.committedBlocks?.length === 5, `blocks: ${list.committedBlocks?.length}`);
  const back = await blob.downloadToBuffer(0, undefined, { blockSize: 300_000, concurrency: 3 });
  sameBytes(parallel, back, "parallel download");
});

await step("core/ranged downloads", async () => {
  const blob = container.getBlobClient("blocks/staged.bin");
  for (const [offset, count] of [[0, 1], [99_990, 20], [250_000, 50_017], [300_000, undefined]]) {
    const { response, bytes } = await download(blob, offset, count);
    const end = count === undefined ? staged.length : offset + count;
    sameBytes(staged.subarray(offset, end), bytes, `range ${offset}+${count}`);
    check(response._response.status === 206, `range ${offset}+${count}: status ${response._response.status}`);
    check(response.contentRange === `bytes ${offset}-${end - 1}/${staged.length}`, `Content-Range ${response.contentRange}`);
  }
  await fails(416, "InvalidRange", () => blob.download(staged.length + 10, 5), "range past the end");
});

await step("core/metadata and properties", async () => {
  const blob = container.getBlobClient("blocks/parallel.bin");
  await blob.setMetadata({ alpha: "1", beta: "two" });
  await blob.setHTTPHeaders({ blobContentType: "text/plain", blobCacheControl: "no-cache" });
  const properties = await blob.getProperties();
  check(properties.metadata?.alpha === "1" && properties.metadata?.beta === "two", `metadata ${JSON.stringify(properties.metadata)}`);
  check(properties.contentType === "text/plain" && properties.cacheControl === "no-cache", "content headers");
  check(properties.contentLength === parallel.length, `length ${properties.contentLength}`);
  check(properties.blobType === "BlockBlob", `blob type ${properties.blobType}`);
});

await step("core/hierarchical listing", async () => {
  await container.getBlockBlobClient("top.txt").upload("top", 3);
  const seen = [];
  for await (const item of container.listBlobsByHierarchy("/")) {
    seen.push(item.kind === "prefix" ? `${item.name}(prefix)` : item.name);
  }
  check(seen.join(",") === "blocks/(prefix),top.txt", `listing: ${seen.join(",")}`);
  const flat = [];
  for await (const item of container.listBlobsFlat({ prefix: "blocks/", includeMetadata: true })) {
    flat.push(item.name);
  }
  check(flat.join(",") === "blocks/parallel.bin,blocks/staged.bin", `flat listing: ${flat.join(",")}`);
});

await step("core/conditional read with a stale ETag is 412", async () => {
  const blob = container.getBlobClient("top.txt");
  const { etag } = await blob.getProperties();
  await container.getBlockBlobClient("top.txt").upload("changed", 7);
  await fails(412, "ConditionNotMet", () => blob.download(0, undefined, { conditions: { ifMatch: etag } }), "If-Match stale");
});

await step("core/missing blob is 404 BlobNotFound", async () => {
  await fails(404, "BlobNotFound", () => container.getBlobClient("nope").getProperties(), "properties of a missing blob");
});

await step("core/delete blob", async () => {
  const blob = container.getBlobClient("top.txt");
  await blob.delete();
  check(!(await blob.exists()), "still exists");
});

// ---- sas: service and account SAS generated by the SDK with the account key ----
const sasBlobName = "sas/readable.bin";
const sasPayload = payload(50_000);
await step("sas/setup", async () => {
  await container.getBlockBlobClient(sasBlobName).upload(sasPayload, sasPayload.length);
});

await step("sas/blob SAS read and ranged read", async () => {
  const url = await container.getBlobClient(sasBlobName).generateSasUrl({
    permissions: BlobSASPermissions.parse("r"),
    expiresOn: new Date(Date.now() + hour),
  });
  const blob = new BlobClient(url, anonymousPipeline);
  sameBytes(sasPayload, (await download(blob)).bytes, "download through the SAS");
  sameBytes(sasPayload.subarray(1000, 2000), (await download(blob, 1000, 1000)).bytes, "ranged download through the SAS");
});

await step("sas/read-only SAS cannot write (403 AuthorizationPermissionMismatch)", async () => {
  const url = await container.getBlobClient(sasBlobName).generateSasUrl({
    permissions: BlobSASPermissions.parse("r"),
    expiresOn: new Date(Date.now() + hour),
  });
  const blob = new BlobClient(url, anonymousPipeline).getBlockBlobClient();
  await fails(403, "AuthorizationPermissionMismatch", () => blob.upload("x", 1), "upload with a read-only SAS");
});

await step("sas/container SAS lists and creates", async () => {
  const url = await container.generateSasUrl({
    permissions: ContainerSASPermissions.parse("rcwl"),
    expiresOn: new Date(Date.now() + hour),
  });
  const viaSas = new ContainerClient(url, anonymousPipeline);
  await viaSas.getBlockBlobClient("sas/created.txt").upload("made with a SAS", 15);
  const names = [];
  for await (const item of viaSas.listBlobsFlat({ prefix: "sas/" })) {
    names.push(item.name);
  }
  check(names.join(",") === "sas/created.txt,sas/readable.bin", `listing through the SAS: ${names.join(",")}`);
  sameBytes(Buffer.from("made with a SAS"), (await download(container.getBlobClient("sas/created.txt"))).bytes, "blob written through the SAS");
});

await step("sas/account SAS lists containers", async () => {
  const url = service.generateAccountSasUrl(new Date(Date.now() + hour), AccountSASPermissions.parse("rl"), "sco");
  const viaSas = new BlobServiceClient(url, anonymousPipeline);
  const names = [];
  for await (const item of viaSas.listContainers({ prefix: "js-scenario-" })) {
    names.push(item.name);
  }
  check(names.includes(containerName), `not listed through the account SAS: ${names.join(",")}`);
});

await step("sas/expired SAS is 403 AuthenticationFailed", async () => {
  const url = await container.getBlobClient(sasBlobName).generateSasUrl({
    permissions: BlobSASPermissions.parse("r"),
    startsOn: new Date(Date.now() - 2 * hour),
    expiresOn: new Date(Date.now() - hour),
  });
  await fails(403, "AuthenticationFailed", () => new BlobClient(url, anonymousPipeline).getProperties(), "expired SAS");
});

await step("sas/tampered signature is 403 AuthenticationFailed", async () => {
  const url = new URL(await container.getBlobClient(sasBlobName).generateSasUrl({
    permissions: BlobSASPermissions.parse("r"),
    expiresOn: new Date(Date.now() + hour),
  }));
  // Widening the permissions without re-signing must not verify.
  url.searchParams.set("sp", "rw");
  await fails(403, "AuthenticationFailed", () => new BlobClient(url.toString(), anonymousPipeline).getProperties(), "tampered SAS");
});

// ---- leases: blob and container leases as Azure defines them ----
const leasedName = "leases/leased.bin";
const leased = container.getBlockBlobClient(leasedName);
await step("leases/setup", async () => {
  await leased.upload("v1", 2);
});

await step("leases/acquire fixed, writes need the lease id", async () => {
  const lease = leased.getBlobLeaseClient();
  const acquired = await lease.acquireLease(15);
  check(acquired.leaseId === lease.leaseId && typeof lease.leaseId === "string", "no lease id returned");
  const properties = await leased.getProperties();
  check(properties.leaseState === "leased" && properties.leaseStatus === "locked" && properties.leaseDuration === "fixed",
    `lease properties ${properties.leaseState}/${properties.leaseStatus}/${properties.leaseDuration}`);
  await fails(412, "LeaseIdMissing", () => leased.upload("v2", 2), "write without the lease id");
  await fails(412, "LeaseIdMismatchWithBlobOperation",
    () => leased.upload("v2", 2, { conditions: { leaseId: "00000000-0000-4000-8000-000000000000" } }), "write with another lease id");
  await leased.upload("v2", 2, { conditions: { leaseId: lease.leaseId } });
  await fails(412, "LeaseIdMissing", () => leased.delete(), "delete without the lease id");
  await fails(409, "LeaseAlreadyPresent",
    () => leased.getBlobLeaseClient("11111111-1111-4111-8111-111111111111").acquireLease(15), "second acquire");
  await lease.releaseLease();
});

await step("leases/change, renew, release", async () => {
  const lease = leased.getBlobLeaseClient("22222222-2222-4222-8222-222222222222");
  await lease.acquireLease(-1);
  const changed = await lease.changeLease("33333333-3333-4333-8333-333333333333");
  check(changed.leaseId === "33333333-3333-4333-8333-333333333333", `changed to ${changed.leaseId}`);
  check(lease.leaseId === "33333333-3333-4333-8333-333333333333", "client did not follow the change");
  await lease.renewLease();
  const properties = await leased.getProperties();
  check(properties.leaseDuration === "infinite", `duration ${properties.leaseDuration}`);
  await fails(409, "LeaseIdMismatchWithLeaseOperation",
    () => leased.getBlobLeaseClient("22222222-2222-4222-8222-222222222222").releaseLease(), "release with the old id");
  await lease.releaseLease();
  const after = await leased.getProperties();
  check(after.leaseState === "available" && after.leaseStatus === "unlocked", `after release ${after.leaseState}/${after.leaseStatus}`);
});

await step("leases/break immediately", async () => {
  const lease = leased.getBlobLeaseClient();
  await lease.acquireLease(-1);
  const broken = await lease.breakLease(0);
  check(broken.leaseTime === 0, `lease time ${broken.leaseTime}`);
  const properties = await leased.getProperties();
  check(properties.leaseState === "broken" && properties.leaseStatus === "unlocked", `after break ${properties.leaseState}/${properties.leaseStatus}`);
  await fails(409, "LeaseIsBrokenAndCannotBeRenewed", () => lease.renewLease(), "renew a broken lease");
  // A broken lease no longer guards writes.
  await leased.upload("v3", 2);
});

await step("leases/container lease guards delete", async () => {
  const other = service.getContainerClient(`${containerName}-leased`);
  await other.create();
  const lease = other.getBlobLeaseClient();
  await lease.acquireLease(-1);
  const properties = await other.getProperties();
  check(properties.leaseState === "leased" && properties.leaseDuration === "infinite", `container lease ${properties.leaseState}/${properties.leaseDuration}`);
  await fails(412, "LeaseIdMissing", () => other.delete(), "delete a leased container without the id");
  await other.delete({ conditions: { leaseId: lease.leaseId } });
});


// ---- append: append blobs (create, Append Block, seal) ----
const appendData = [payload(1000), payload(70_000), payload(5)];
const appended = container.getAppendBlobClient("append/log.bin");
await step("append/create, append blocks, download", async () => {
  await appended.create({ metadata: { kind: "append" } });
  let offset = 0;
  for (let i = 0; i < appendData.length; i++) {
    const response = await appended.appendBlock(appendData[i], appendData[i].length);
    check(response.blobAppendOffset === String(offset), `block ${i}: append offset ${response.blobAppendOffset}, expected ${offset}`);
    check(response.blobCommittedBlockCount === i + 1, `block ${i}: committed block count ${response.blobCommittedBlockCount}`);
    offset += appendData[i].length;
  }
  const properties = await appended.getProperties();
  check(properties.blobType === "AppendBlob", `blob type ${properties.blobType}`);
  check(properties.blobCommittedBlockCount === 3, `committed blocks ${properties.blobCommittedBlockCount}`);
  sameBytes(Buffer.concat(appendData), (await download(appended)).bytes, "download of the append blob");
  sameBytes(appendData[1].subarray(10, 30), (await download(appended, 1010, 20)).bytes, "ranged download of the append blob");
});

await step("append/position and size conditions are 412", async () => {
  const length = appendData.reduce((sum, part) => sum + part.length, 0);
  await fails(412, "AppendPositionConditionNotMet",
    () => appended.appendBlock("x", 1, { conditions: { appendPosition: 3 } }), "wrong append position");
  await fails(412, "MaxBlobSizeConditionNotMet",
    () => appended.appendBlock("xy", 2, { conditions: { maxSize: length + 1 } }), "max size exceeded");
  await appended.appendBlock("z", 1, { conditions: { appendPosition: length } });
  appendData.push(Buffer.from("z"));
});

await step("append/seal refuses further appends (409 BlobIsSealed)", async () => {
  await appended.seal();
  const properties = await appended.getProperties();
  check(properties.isSealed === true, `isSealed ${properties.isSealed}`);
  await fails(409, "BlobIsSealed", () => appended.appendBlock("late", 4), "append to a sealed blob");
  sameBytes(Buffer.concat(appendData), (await download(appended)).bytes, "download of the sealed blob");
});

await step("append/block operations on an append blob are 409 InvalidBlobType", async () => {
  await fails(409, "InvalidBlobType",
    () => container.getBlockBlobClient("append/log.bin").stageBlock(blockId(0), "b", 1), "Put Block on an append blob");
});

// ---- page: page blobs (create, Put Page, Get Page Ranges, sparse reads) ----
const pageSize = 512;
const paged = container.getPageBlobClient("pages/disk.vhd");
const pageLength = 16 * 1024 * 1024 + 8 * pageSize;
const pageWrites = [
  [0, payload(2 * pageSize)],
  [5 * 1024 * 1024, payload(3 * pageSize)],
  [pageLength - pageSize, payload(pageSize)],
];
// The SDK turns each <PageRange><Start>s</Start><End>e</End> into { offset: s, count: e - s }.
function pageRanges(response) {
  return (response.pageRange ?? []).map((r) => `${r.offset}-${r.offset + r.count}`).join(",");
}
function expectedPages() {
  const image = Buffer.alloc(pageLength);
  for (const [offset, bytes] of pageWrites) {
    bytes.copy(image, offset);
  }
  return image;
}

await step("page/create, upload pages, page ranges, sparse download", async () => {
  await paged.create(pageLength, { blobSequenceNumber: 7 });
  for (const [offset, bytes] of pageWrites) {
    await paged.uploadPages(bytes, offset, bytes.length);
  }
  const seen = pageRanges(await paged.getPageRanges());
  const expected = pageWrites.map(([offset, bytes]) => `${offset}-${offset + bytes.length - 1}`).join(",");
  check(seen === expected, `page ranges ${seen}, expected ${expected}`);
  const properties = await paged.getProperties();
  check(properties.blobType === "PageBlob" && properties.contentLength === pageLength, `${properties.blobType} ${properties.contentLength}`);
  check(properties.blobSequenceNumber === 7, `sequence number ${properties.blobSequenceNumber}`);
  sameBytes(expectedPages(), await paged.downloadToBuffer(0, undefined, { blockSize: 4 * 1024 * 1024, concurrency: 2 }), "download of the sparse page blob");
});

await step("page/overwrite and clear pages", async () => {
  const update = payload(pageSize);
  await paged.uploadPages(update, pageSize, pageSize);
  update.copy(pageWrites[0][1], pageSize);
  await paged.clearPages(5 * 1024 * 1024 + pageSize, pageSize);
  pageWrites[1][1].fill(0, pageSize, 2 * pageSize);
  const ranges = pageRanges(await paged.getPageRanges(0, 6 * 1024 * 1024));
  const second = 5 * 1024 * 1024;
  const expected = `0-${2 * pageSize - 1},${second}-${second + pageSize - 1},${second + 2 * pageSize}-${second + 3 * pageSize - 1}`;
  check(ranges === expected, `page ranges ${ranges}, expected ${expected}`);
  sameBytes(expectedPages().subarray(0, 6 * 1024 * 1024), (await download(paged, 0, 6 * 1024 * 1024)).bytes, "download after the update and clear");
});

await step("page/unaligned page write is 416 InvalidPageRange and a sequence-number condition is 412", async () => {
  await fails(416, "InvalidPageRange", () => paged.uploadPages(payload(100), 0, 100), "unaligned page write");
  await fails(412, "SequenceNumberConditionNotMet",
    () => paged.uploadPages(payload(pageSize), 0, pageSize, { conditions: { ifSequenceNumberLessThan: 7 } }), "sequence number condition");
});

// ---- tags: snapshots, blob index tags, Find Blobs by Tags ----
const taggedName = "tags/tagged.txt";
const tagged = container.getBlockBlobClient(taggedName);
const tagValue = `run-${process.pid}`;
await step("tags/snapshot keeps the old content", async () => {
  await tagged.upload("first", 5);
  const { snapshot } = await tagged.createSnapshot({ metadata: { snap: "yes" } });
  check(typeof snapshot === "string" && snapshot.length > 0, "no snapshot id");
  await tagged.upload("second!", 7);
  const old = tagged.withSnapshot(snapshot);
  sameBytes(Buffer.from("first"), (await download(old)).bytes, "download of the snapshot");
  check((await old.getProperties()).metadata?.snap === "yes", "snapshot metadata");
  sameBytes(Buffer.from("second!"), (await download(tagged)).bytes, "download of the base blob");
  const listed = [];
  for await (const item of container.listBlobsFlat({ prefix: "tags/", includeSnapshots: true })) {
    listed.push(item.snapshot ? `${item.name}@snapshot` : item.name);
  }
  check(listed.join(",") === `${taggedName}@snapshot,${taggedName}`, `listing with snapshots: ${listed.join(",")}`);
});

await step("tags/set, get and find by tags", async () => {
  await tagged.setTags({ project: "strongroom", run: tagValue });
  const { tags } = await tagged.getTags();
  check(tags.project === "strongroom" && tags.run === tagValue, `tags ${JSON.stringify(tags)}`);
  check((await tagged.getProperties()).tagCount === 2, "tag count");
  await container.getBlockBlobClient("tags/other.txt").upload("o", 1, { tags: { project: "other", run: tagValue } });
  const found = [];
  for await (const item of service.findBlobsByTags(`run='${tagValue}' AND project='strongroom'`)) {
    found.push(`${item.containerName}/${item.name}`);
  }
  check(found.join(",") === `${containerName}/${taggedName}`, `found ${found.join(",")}`);
  const inContainer = [];
  for await (const item of container.findBlobsByTags(`run='${tagValue}'`)) {
    inContainer.push(item.name);
  }
  check(inContainer.sort().join(",") === `tags/other.txt,${taggedName}`, `found in the container ${inContainer.join(",")}`);
  await fails(412, "ConditionNotMet",
    () => tagged.download(0, undefined, { conditions: { tagConditions: "project='other'" } }), "x-ms-if-tags not met");
});

// ---- tier and batch: Set Blob Tier, Blob Batch through BlobBatchClient ----
await step("tier/set access tier and read it back", async () => {
  const blob = container.getBlobClient("blocks/staged.bin");
  await blob.setAccessTier("Cool");
  const properties = await blob.getProperties();
  check(properties.accessTier === "Cool" && properties.accessTierInferred !== true, `tier ${properties.accessTier} inferred ${properties.accessTierInferred}`);
  check(properties.accessTierChangedOn instanceof Date, "no tier change time");
  let listed;
  for await (const item of container.listBlobsFlat({ prefix: "blocks/staged" })) {
    listed = item.properties.accessTier;
  }
  check(listed === "Cool", `listed tier ${listed}`);
});

const batchNames = ["batch/a.txt", "batch/b.txt", "batch/c.txt", "batch/d.txt"];
await step("batch/set tier of several blobs in one batch", async () => {
  for (const name of batchNames) {
    await container.getBlockBlobClient(name).upload(name, name.length);
  }
  const batchClient = service.getBlobBatchClient();
  const response = await batchClient.setBlobsAccessTier(batchNames.map((name) => container.getBlobClient(name)), "Cold");
  check(response.subResponsesSucceededCount === batchNames.length && response.subResponsesFailedCount === 0,
    `succeeded ${response.subResponsesSucceededCount}, failed ${response.subResponsesFailedCount}`);
  for (const name of batchNames) {
    const tier = (await container.getBlobClient(name).getProperties()).accessTier;
    check(tier === "Cold", `${name}: tier ${tier}`);
  }
});

await step("batch/delete several blobs with a per-request error", async () => {
  const batchClient = container.getBlobBatchClient();
  const batch = new BlobBatch();
  for (const name of batchNames.slice(0, 3)) {
    await batch.deleteBlob(container.getBlobClient(name));
  }
  await batch.deleteBlob(container.getBlobClient("batch/missing.txt"));
  const response = await batchClient.submitBatch(batch);
  check(response.subResponsesSucceededCount === 3 && response.subResponsesFailedCount === 1,
    `succeeded ${response.subResponsesSucceededCount}, failed ${response.subResponsesFailedCount}`);
  const statuses = response.subResponses.map((r) => `${r.status}${r.errorCode ? ` ${r.errorCode}` : ""}`).join(",");
  check(statuses === "202,202,202,404 BlobNotFound", `sub-responses ${statuses}`);
  for (const name of batchNames.slice(0, 3)) {
    check(!(await container.getBlobClient(name).exists()), `${name} still exists`);
  }
  check(await container.getBlobClient(batchNames[3]).exists(), `${batchNames[3]} was deleted`);
});

// ---- service: Get/Set Blob Service Properties round trip ----
await step("service/properties round trip with CORS and delete retention", async () => {
  const before = await service.getProperties();
  const cors = [{
    allowedOrigins: "https://app.example",
    allowedMethods: "GET,PUT",
    allowedHeaders: "x-ms-meta-*",
    exposedHeaders: "x-ms-request-id",
    maxAgeInSeconds: 120,
  }];
  await service.setProperties({ cors, deleteRetentionPolicy: { enabled: true, days: 3 } });
  const after = await service.getProperties();
  const rule = after.cors?.[0];
  check(after.cors?.length === 1 && rule.allowedOrigins === "https://app.example" && rule.allowedMethods === "GET,PUT"
    && rule.allowedHeaders === "x-ms-meta-*" && rule.exposedHeaders === "x-ms-request-id" && rule.maxAgeInSeconds === 120,
    `cors ${JSON.stringify(after.cors)}`);
  check(after.deleteRetentionPolicy?.enabled === true && after.deleteRetentionPolicy?.days === 3,
    `delete retention ${JSON.stringify(after.deleteRetentionPolicy)}`);
  const tooMany = Array.from({ length: 6 }, () => cors[0]);
  await fails(400, null, () => service.setProperties({ cors: tooMany }), "six CORS rules");
  await service.setProperties({ cors: before.cors ?? [], deleteRetentionPolicy: before.deleteRetentionPolicy });
  const restored = await service.getProperties();
  check((restored.cors ?? []).length === (before.cors ?? []).length, `restored cors ${JSON.stringify(restored.cors)}`);
});

await step("service/account information", async () => {
  const info = await service.getAccountInfo();
  check(info.accountKind === "StorageV2" && typeof info.skuName === "string" && info.skuName.startsWith("Standard_"),
    `account info ${info.accountKind} ${info.skuName}`);
});

// ---- cleanup ----
await step("core/delete container", async () => {
  await container.delete();
  await fails(404, "ContainerNotFound", () => container.getProperties(), "properties of the deleted container");
});

const failed = results.filter((r) => !r.ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
