// The local SQS: the queues infra/template.yaml declares (names with the stack name `local`, their
// visibility timeout, retention and redrive policy), with SQS's semantics where the worker relies
// on them: a received message is invisible until its visibility timeout passes or it is deleted,
// its receive count grows with each receive, a receive past maxReceiveCount moves it (content and
// attributes) to the dead-letter queue instead, ChangeMessageVisibility, and message move tasks
// (the redrive). Standard queues: no order promised (this one hands messages out oldest first).
//
// With a folder (npm start), every change is appended to <folder>/<queue>.jsonl before the call
// returns, so a message the bus accepted survives `kill -9`; the log is compacted at start.
// Messages that were being processed when the process died are visible again at once: their
// consumer is gone. local/sqs-api.ts serves these over SQS's JSON protocol.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createHash, randomUUID } from 'node:crypto'
import { loadTemplate, type CfnTemplate } from '../infra/template.js'

export const LOCAL_ACCOUNT = '000000000000'
export const LOCAL_STACK_NAME = 'local'

export interface MessageAttribute { DataType: string; StringValue?: string }

export interface StoredMessage {
  id: string
  body: string
  md5: string
  attributes: Record<string, MessageAttribute>
  sentAt: number
  receiveCount: number
  firstReceivedAt?: number
  /** Invisible until then (epoch ms); 0 when visible. */
  visibleAt: number
  receipt?: string
}

export interface QueueDefinition {
  logicalId: string
  name: string
  visibilityTimeoutS: number
  retentionS: number
  redrive?: { deadLetterLogicalId: string; maxReceiveCount: number }
}

export interface MoveTask {
  TaskHandle: string
  Status: 'RUNNING' | 'COMPLETED' | 'FAILED'
  SourceArn: string
  DestinationArn?: string
  ApproximateNumberOfMessagesMoved: number
  ApproximateNumberOfMessagesToMove: number
  StartedTimestamp: number
  FailureReason?: string
}

export class QueueError extends Error {
  constructor (readonly type: string, message: string) {
    super(message)
    this.name = type
  }
}

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex')

/** `!Sub '${AWS::StackName}-x'` with the local stack's name; a plain string as it is. */
function localName (value: unknown, logicalId: string): string {
  if (typeof value === 'string') return value
  const sub = (value as { 'Fn::Sub'?: unknown } | undefined)?.['Fn::Sub']
  if (typeof sub === 'string') return sub.replace(/\$\{AWS::StackName\}/g, LOCAL_STACK_NAME)
  return `${LOCAL_STACK_NAME}-${logicalId}`
}

/** The queues of the template, as the local SQS creates them. */
export function queueDefinitions (template: CfnTemplate = loadTemplate()): QueueDefinition[] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::SQS::Queue').map(([logicalId, r]) => {
    const p = (r.Properties ?? {}) as Record<string, any>
    const dlq = p.RedrivePolicy?.deadLetterTargetArn?.['Fn::GetAtt']?.[0] as string | undefined
    return {
      logicalId,
      name: localName(p.QueueName, logicalId),
      visibilityTimeoutS: Number(p.VisibilityTimeout ?? 30),
      retentionS: Number(p.MessageRetentionPeriod ?? 345600),
      ...(dlq !== undefined
        ? {
            redrive: { deadLetterLogicalId: dlq, maxReceiveCount: Number(p.RedrivePolicy.maxReceiveCount) }
          }
        : {})
    }
  })
}

type Op =
  | { op: 'send'; m: StoredMessage }
  | { op: 'receive'; id: string; receipt: string; visibleAt: number; receiveCount: number; firstReceivedAt: number }
  | { op: 'visibility'; id: string; visibleAt: number }
  | { op: 'delete'; id: string }

export class LocalQueue {
  readonly messages = new Map<string, StoredMessage>()
  private waiters: Array<() => void> = []
  private readonly file: string | undefined

  constructor (
    readonly def: QueueDefinition,
    readonly arn: string,
    dir: string | undefined,
    private readonly now: () => number
  ) {
    this.file = dir === undefined ? undefined : join(dir, `${def.name}.jsonl`)
    if (this.file !== undefined) this.load(this.file)
  }

  private load (file: string): void {
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line.trim() === '') continue
        let op: Op
        try {
          op = JSON.parse(line) as Op
        } catch {
          continue // a line cut short by a kill: the call it belonged to never answered
        }
        this.apply(op)
      }
    }
    // Whatever was being processed belongs to a process that is gone.
    for (const m of this.messages.values()) { m.visibleAt = 0; delete m.receipt }
    const tmp = `${file}.tmp`
    writeFileSync(tmp, [...this.messages.values()].map((m) => JSON.stringify({ op: 'send', m }) + '\n').join(''))
    renameSync(tmp, file)
  }

  private apply (op: Op): void {
    const m = op.op === 'send' ? undefined : this.messages.get(op.id)
    switch (op.op) {
      case 'send': this.messages.set(op.m.id, op.m); break
      case 'receive': if (m !== undefined) {
        Object.assign(
          m,
          {
            receipt: op.receipt,
            visibleAt: op.visibleAt,
            receiveCount: op.receiveCount,
            firstReceivedAt: op.firstReceivedAt
          }
        )
      } break
      case 'visibility': if (m !== undefined) m.visibleAt = op.visibleAt; break
      case 'delete': this.messages.delete(op.id); break
    }
  }

  /** Applies and (with a folder) appends the change before returning: a kill after this keeps it. */
  private record (op: Op): void {
    this.apply(op)
    if (this.file !== undefined) appendFileSync(this.file, JSON.stringify(op) + '\n')
  }

  send (body: string, attributes: Record<string, MessageAttribute> = {}): StoredMessage {
    const m: StoredMessage = {
      id: randomUUID(),
      body,
      md5: md5(body),
      attributes,
      sentAt: this.now(),
      receiveCount: 0,
      visibleAt: 0
    }
    this.record({ op: 'send', m })
    this.wake()
    return m
  }

  /**
   * Messages visible now, up to `max`, made invisible for `visibilityS`; those past maxReceiveCount go to `deadLetter`.
   */
  receive (max: number, visibilityS: number | undefined, deadLetter: LocalQueue | undefined): StoredMessage[] {
    const now = this.now()
    const out: StoredMessage[] = []
    for (const m of [...this.messages.values()]) {
      if (out.length >= max) break
      if (m.sentAt + this.def.retentionS * 1000 < now) { this.record({ op: 'delete', id: m.id }); continue }
      if (m.visibleAt > now) continue
      const redrive = this.def.redrive
      if (redrive !== undefined && deadLetter !== undefined && m.receiveCount >= redrive.maxReceiveCount) {
        deadLetter.send(m.body, m.attributes)
        this.record({ op: 'delete', id: m.id })
        continue
      }
      const receipt = `${m.id}#${randomUUID()}`
      this.record({
        op: 'receive',
        id: m.id,
        receipt,
        visibleAt: now + (visibilityS ?? this.def.visibilityTimeoutS) * 1000,
        receiveCount: m.receiveCount + 1,
        firstReceivedAt: m.firstReceivedAt ?? now
      })
      out.push({ ...m })
    }
    return out
  }

  private byReceipt (receipt: string): StoredMessage {
    const m = this.messages.get(receipt.split('#')[0] ?? '')
    if (m === undefined || m.receipt !== receipt) {
      throw new QueueError(
        'ReceiptHandleIsInvalid',
        `The receipt handle "${receipt}" is not valid (deleted, or received again since).`
      )
    }
    return m
  }

  delete (receipt: string): void {
    const m = this.messages.get(receipt.split('#')[0] ?? '')
    // SQS accepts deleting a message already deleted.
    if (m !== undefined && m.receipt === receipt) this.record({ op: 'delete', id: m.id })
  }

  /** Removes a message whatever its state (a move task takes it to another queue). */
  remove (id: string): void {
    if (this.messages.has(id)) this.record({ op: 'delete', id })
  }

  changeVisibility (receipt: string, seconds: number): void {
    const m = this.byReceipt(receipt)
    if (m.visibleAt <= this.now()) throw new QueueError('MessageNotInflight', 'The message is not in flight.')
    this.record({ op: 'visibility', id: m.id, visibleAt: this.now() + seconds * 1000 })
    if (seconds === 0) this.wake()
  }

  counts (): { visible: number; inFlight: number } {
    const now = this.now()
    let visible = 0
    for (const m of this.messages.values()) if (m.visibleAt <= now) visible++
    return { visible, inFlight: this.messages.size - visible }
  }

  /** Resolves when a message is sent (or made visible) or after `ms`. */
  async waitForMessages (ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || signal?.aborted === true) return
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer); signal?.removeEventListener(
          'abort',
          done
        ); this.waiters = this.waiters.filter((w) => w !== done); resolve()
      }
      const timer = setTimeout(done, ms)
      signal?.addEventListener('abort', done)
      this.waiters.push(done)
    })
  }

  /** The earliest moment a hidden message becomes visible (for pollers), or undefined. */
  nextVisibleAt (): number | undefined {
    let next: number | undefined
    for (const m of this.messages.values()) {
      if (m.visibleAt > this.now() && (next === undefined ||
      m.visibleAt < next)) next = m.visibleAt
    }
    return next
  }

  private wake (): void {
    const waiting = this.waiters
    this.waiters = []
    for (const w of waiting) w()
  }
}

export interface LocalQueues {
  list: LocalQueue[]
  byName: (name: string) => LocalQueue
  byArn: (arn: string) => LocalQueue
  byLogicalId: (id: string) => LocalQueue
  /** The queue a URL names (<endpoint>/<account>/<name>). */
  byUrl: (url: string) => LocalQueue
  urlOf: (queue: LocalQueue) => string
  /** The dead-letter queue of a queue's redrive policy. */
  deadLetterOf: (queue: LocalQueue) => LocalQueue | undefined
  startMoveTask: (sourceArn: string, destinationArn: string | undefined, perSecond?: number) => MoveTask
  moveTasks: (sourceArn: string) => MoveTask[]
  /** Resolves when every move task started so far has finished. */
  idle: () => Promise<void>
}

export function createLocalQueues (
  opts: { endpoint: string; region: string; dir?: string; template?: CfnTemplate; now?: () => number }
): LocalQueues {
  const now = opts.now ?? Date.now
  if (opts.dir !== undefined) mkdirSync(opts.dir, { recursive: true })
  const list = queueDefinitions(opts.template).map((def) => new LocalQueue(
    def,
    `arn:aws:sqs:${opts.region}:${LOCAL_ACCOUNT}:${def.name}`,
    opts.dir,
    now
  ))
  const find = (pred: (q: LocalQueue) => boolean, what: string): LocalQueue => {
    const q = list.find(pred)
    if (q === undefined) throw new QueueError('QueueDoesNotExist', `The specified queue does not exist (${what}).`)
    return q
  }
  const tasks = new Map<string, MoveTask[]>()
  const running = new Set<Promise<void>>()
  const queues: LocalQueues = {
    list,
    byName: (name) => find((q) => q.def.name === name, name),
    byArn: (arn) => find((q) => q.arn === arn, arn),
    byLogicalId: (id) => find((q) => q.def.logicalId === id, id),
    byUrl: (url) => find((q) => url.replace(/\/+$/, '').endsWith(`/${LOCAL_ACCOUNT}/${q.def.name}`), url),
    urlOf: (q) => `${opts.endpoint}/${LOCAL_ACCOUNT}/${q.def.name}`,
    deadLetterOf: (q) => q.def.redrive === undefined
      ? undefined
      : queues.byLogicalId(q.def.redrive.deadLetterLogicalId),
    startMoveTask (sourceArn, destinationArn, perSecond) {
      const source = queues.byArn(sourceArn)
      if (!list.some((q) => q.def.redrive?.deadLetterLogicalId === source.def.logicalId)) {
        throw new QueueError('InvalidParameterValue', 'Source queue must be configured as a Dead Letter Queue.')
      }
      if ((tasks.get(sourceArn) ?? []).some((t) => t.Status === 'RUNNING')) {
        throw new QueueError('InvalidParameterValue', 'There is already a task running.')
      }
      const destination = destinationArn === undefined ? undefined : queues.byArn(destinationArn)
      // Without a destination, each message goes back to a queue that dead-letters into this one.
      const fallback = list.find((q) => q.def.redrive?.deadLetterLogicalId === source.def.logicalId)
      const ids = [...source.messages.keys()]
      const task: MoveTask = {
        TaskHandle: randomUUID(),
        Status: 'RUNNING',
        SourceArn: sourceArn,
        ...(destinationArn !== undefined ? { DestinationArn: destinationArn } : {}),
        ApproximateNumberOfMessagesMoved: 0,
        ApproximateNumberOfMessagesToMove: ids.length,
        StartedTimestamp: now()
      }
      tasks.set(sourceArn, [task, ...(tasks.get(sourceArn) ?? [])])
      const move = (async () => {
        for (const id of ids) {
          const m = source.messages.get(id)
          if (m === undefined || m.visibleAt > now()) continue
          ;(destination ?? fallback)?.send(m.body, m.attributes)
          source.remove(id)
          task.ApproximateNumberOfMessagesMoved++
          if (perSecond !== undefined) await new Promise((resolve) => setTimeout(resolve, 1000 / perSecond))
        }
        task.Status = 'COMPLETED'
      })().catch((err: unknown) => { task.Status = 'FAILED'; task.FailureReason = (err as Error).message })
      running.add(move)
      void move.finally(() => running.delete(move))
      return task
    },
    moveTasks: (sourceArn) => { queues.byArn(sourceArn); return tasks.get(sourceArn) ?? [] },
    idle: async () => { while (running.size > 0) await Promise.all([...running]) }
  }
  return queues
}
