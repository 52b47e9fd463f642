// S3 through @aws-sdk/client-s3: the one place an S3 client is made. The ops commands read and
// delete the stream failure bucket's objects with it (scripts/ops/stream-failures.ts). With a
// local endpoint (the local stack's one endpoint, local/s3-api.ts) buckets are addressed by path:
// there is no bucket host name to resolve.
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'

export type { S3Client } from '@aws-sdk/client-s3'

export function createS3Client (options: S3ClientConfig): S3Client {
  return new S3Client({ ...options, ...(options.endpoint !== undefined ? { forcePathStyle: true } : {}) })
}
