// Answers the SDK's HTTP calls to the stub host in memory: node:http's request() is replaced before
// the bundle loads (the SDK's handler looks it up on first use), so a warm invocation measures the
// client's own work (middleware, signing, (un)marshalling) without a socket round trip.
import http from 'node:http'
import { EventEmitter } from 'node:events'
import { Readable } from 'node:stream'
import { answer } from '../lib/aws-stub.js'

export const STUB_HOST = 'aws-stub.invalid'

class FakeRequest extends EventEmitter {
  private readonly chunks: Buffer[] = []
  constructor (
    private readonly headers: Record<string, string>,
    private readonly onResponse: (res: http.IncomingMessage) => void
  ) { super() }

  write (chunk: Buffer | string): boolean { this.chunks.push(Buffer.from(chunk)); return true }
  end (chunk?: Buffer | string): this {
    if (chunk !== undefined) this.write(chunk)
    const target = Object.entries(this.headers).find(([k]) => k.toLowerCase() === 'x-amz-target')?.[1] ?? ''
    const a = answer(target, Buffer.concat(this.chunks).toString('utf8'))
    const body = Buffer.from(a.body)
    const res = new Readable({ read () { this.push(body); this.push(null) } }) as unknown as http.IncomingMessage
    Object.assign(
      res,
      {
        statusCode: a.status,
        statusMessage: 'OK',
        headers: { 'content-type': a.contentType, 'content-length': String(body.length) }
      }
    )
    queueMicrotask(() => { this.onResponse(res); this.emit('close') })
    return this
  }

  setTimeout (): this { return this }
  setNoDelay (): void {}
  setSocketKeepAlive (): void {}
  destroy (): this { return this }
}

export function answerAwsInMemory (): void {
  const real = http.request
  const fake = (options: http.RequestOptions, cb: (res: http.IncomingMessage) => void): unknown => {
    if (options.host !== STUB_HOST && options.hostname !== STUB_HOST) return (real as any)(options, cb)
    return new FakeRequest(options.headers as Record<string, string>, cb)
  }
  ;(http as any).request = fake
}
