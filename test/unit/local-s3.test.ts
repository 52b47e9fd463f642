// The local stand-in for the template's buckets (local/s3-api.ts) through @aws-sdk/client-s3, as the
// redrive uses it: ListObjectsV2 in pages, GetObject, DeleteObject, S3's errors, objects kept in the
// data dir across a restart, and nothing else served (a call it does not know is refused, not faked).
import t from 'tap'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand
} from '@aws-sdk/client-s3'
import { startLocalMessaging } from '../../local/messaging.js'
import { createS3Client } from '../../core/s3.js'
import { memoryLog } from '../helpers/worker-fixtures.js'

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' }

async function stack (t: { teardown: (fn: () => unknown) => void }, bucketsDir?: string) {
  const m = await startLocalMessaging({ busName: 'b', region: 'us-east-1', log: memoryLog(), bucketsDir })
  const s3 = createS3Client({ endpoint: m.url, region: 'us-east-1', credentials, maxAttempts: 1 })
  t.teardown(async () => { s3.destroy(); await m.stop() })
  return { m, s3, bucket: m.buckets.byLogicalId('OrdersStreamFailureBucket') }
}

t.test('list in pages, read and delete through the SDK, with S3\'s errors', async (t) => {
  const { s3, bucket } = await stack(t)
  t.equal(bucket.name, 'local-ordersstreamfailurebucket')
  const keys = ['aws/lambda/m/shardId-1/2026/12/04/a', 'aws/lambda/m/shardId-1/2026/12/04/b&<c>', 'other/d']
  for (const key of keys) bucket.put(key, JSON.stringify({ key }))
  const first = await s3.send(new ListObjectsV2Command({ Bucket: bucket.name, Prefix: 'aws/', MaxKeys: 1 }))
  t.same(first.Contents?.map((c) => c.Key), [keys[0]])
  t.equal(first.IsTruncated, true)
  const second = await s3.send(new ListObjectsV2Command({
    Bucket: bucket.name, Prefix: 'aws/', MaxKeys: 1, ContinuationToken: first.NextContinuationToken
  }))
  t.same(second.Contents?.map((c) => [c.Key, c.Size]), [[keys[1], JSON.stringify({ key: keys[1] }).length]],
    'keys with XML characters come back whole')
  t.equal(second.IsTruncated, false)

  const got = await s3.send(new GetObjectCommand({ Bucket: bucket.name, Key: keys[1] }))
  t.same(JSON.parse(await got.Body?.transformToString() ?? ''), { key: keys[1] })
  await s3.send(new DeleteObjectCommand({ Bucket: bucket.name, Key: keys[1] }))
  await s3.send(new DeleteObjectCommand({ Bucket: bucket.name, Key: keys[1] }))
  t.same(bucket.list().map((o) => o.key), [keys[0], keys[2]], 'deleted (twice is fine, as in S3)')

  await t.rejects(s3.send(new GetObjectCommand({ Bucket: bucket.name, Key: keys[1] })), { name: 'NoSuchKey' })
  await t.rejects(s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })), { name: 'NoSuchBucket' })
  await t.rejects(
    s3.send(new PutObjectCommand({ Bucket: bucket.name, Key: 'x', Body: '{}' })),
    { name: 'NotImplemented' },
    'only what the ops commands call; Lambda\'s writes are the stream poller\'s'
  )
})

t.test('with a data dir, objects survive a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'local-s3-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const before = await stack(t, dir)
  const key = 'aws/lambda/m/s/2026/12/04/kept'
  before.bucket.put(key, '{"kept":true}')
  await before.m.stop()
  const after = await stack(t, dir)
  const listed = await after.s3.send(new ListObjectsV2Command({ Bucket: after.bucket.name }))
  t.same(listed.Contents?.map((c) => c.Key), [key])
  const got = await after.s3.send(new GetObjectCommand({ Bucket: after.bucket.name, Key: key }))
  t.equal(await got.Body?.transformToString(), '{"kept":true}')
})

t.test("in a data dir, the keys '.' and '..' are objects like any other, inside the bucket's folder", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'local-s3-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { s3, bucket } = await stack(t, dir)
  for (const key of ['.', '..', 'a.b']) bucket.put(key, JSON.stringify({ key }))
  t.same(readdirSync(dir), [bucket.name], 'nothing written beside the bucket\'s folder')
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket.name }))
  t.same(listed.Contents?.map((c) => c.Key), ['.', '..', 'a.b'])
  for (const key of ['.', '..']) {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket.name, Key: key }))
    t.same(JSON.parse(await got.Body?.transformToString() ?? ''), { key }, `GetObject ${key}`)
    await s3.send(new DeleteObjectCommand({ Bucket: bucket.name, Key: key }))
  }
  t.same(bucket.list().map((o) => o.key), ['a.b'], 'both deleted, the rest kept')
})

t.test('malformed requests get S3 errors, not 500s: a broken encoding, a key too long for a file name', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'local-s3-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const { m, bucket } = await stack(t, dir)
  const call = async (method: string, path: string): Promise<{ status: number; body: string }> => {
    const res = await fetch(`${m.url}${path}`, { method })
    return { status: res.status, body: await res.text() }
  }
  for (const path of [`/${bucket.name}/%E0%A4%A`, '/%E0%A4%A/key']) {
    const got = await call('GET', path)
    t.equal(got.status, 400, `${path}: 400`)
    t.match(got.body, /<Code>InvalidURI<\/Code>/)
  }
  // S3 allows keys up to 1,024 bytes; encoded, 300 bytes are past a file name's 255.
  const long = `/${bucket.name}/${'k'.repeat(300)}`
  const missing = await call('GET', long)
  t.equal(missing.status, 404)
  t.match(missing.body, /<Code>NoSuchKey<\/Code>/)
  t.equal((await call('DELETE', long)).status, 204, 'deleting it succeeds, as deleting any absent key does')
})
