import { createServer, type Server } from 'node:http';

/** An OTLP/JSON attribute as the HTTP exporters encode it. */
interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
}

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, string | number | boolean | undefined>;
}

export interface ReceivedLog {
  service: string;
  traceId?: string;
  spanId?: string;
  body?: string;
  attributes: Record<string, string | number | boolean | undefined>;
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  logs: ReceivedLog[];
  /** Requests that were not OTLP/JSON (content type and path), so a test can say what it got instead. */
  rejected: string[];
  close(): Promise<void>;
}

const attrs = (list: OtlpAttribute[] = []) =>
  Object.fromEntries(
    list.map((a) => [
      a.key,
      a.value.stringValue ?? a.value.boolValue ?? a.value.doubleValue ?? a.value.intValue,
    ]),
  );

function serviceOf(resource: { attributes?: OtlpAttribute[] } | undefined): string {
  return String(attrs(resource?.attributes)['service.name'] ?? 'unknown');
}

/** A local OTLP/HTTP receiver on 127.0.0.1 accepting JSON-encoded /v1/traces and /v1/logs. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const logs: ReceivedLog[] = [];
  const rejected: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const type = req.headers['content-type'] ?? '';
      if (
        req.method !== 'POST' ||
        !type.includes('json') ||
        !['/v1/traces', '/v1/logs'].includes(req.url ?? '')
      ) {
        rejected.push(`${req.method} ${req.url} ${type}`);
        res.writeHead(415).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const rs of body.resourceSpans ?? []) {
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              service: serviceOf(rs.resource),
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId || undefined,
              name: s.name,
              attributes: attrs(s.attributes),
            });
          }
        }
      }
      for (const rl of body.resourceLogs ?? []) {
        for (const sl of rl.scopeLogs ?? []) {
          for (const r of sl.logRecords ?? []) {
            logs.push({
              service: serviceOf(rl.resource),
              traceId: r.traceId || undefined,
              spanId: r.spanId || undefined,
              body: r.body?.stringValue,
              attributes: attrs(r.attributes),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    logs,
    rejected,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
