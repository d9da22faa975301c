/** One answer, its body read (capped); event streams are cut after their headers. */
export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

export async function send(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string | Uint8Array },
): Promise<Answer> {
  const aborter = new AbortController();
  const timer = setTimeout(() => aborter.abort(), 15_000);
  try {
    const response = await fetch(url, { ...init, signal: aborter.signal, redirect: 'manual' });
    const contentType = response.headers.get('content-type') ?? '';
    let text = '';
    if (contentType.startsWith('text/event-stream')) {
      aborter.abort();
    } else if (response.body) {
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (text.length < 256 * 1024) text += decoder.decode(value, { stream: true });
      }
    }
    return { status: response.status, contentType, text };
  } finally {
    clearTimeout(timer);
  }
}

/** The error envelope every service answers 4xx/5xx with; null when the body is not one. */
export function envelopeOf(answer: Answer): { code: string; message: string; request_id: string } | null {
  try {
    const parsed = JSON.parse(answer.text) as {
      error?: { code?: unknown; message?: unknown; request_id?: unknown };
    };
    const error = parsed.error;
    if (
      error &&
      typeof error.code === 'string' &&
      typeof error.message === 'string' &&
      typeof error.request_id === 'string' &&
      error.request_id.length > 0
    )
      return error as { code: string; message: string; request_id: string };
  } catch {}
  return null;
}
