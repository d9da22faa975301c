const BINARY = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 } as const;
const DECIMAL = { k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12 } as const;

/** Parses a Kubernetes memory quantity (`512Mi`, `1G`, `1048576`) into bytes. */
export function parseMemoryQuantity(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|K|M|G|T)?$/.exec(text.trim());
  if (!match) throw new Error(`invalid memory quantity "${text}": use e.g. 512Mi, 2Gi, 1G`);
  const unit = match[2] as keyof typeof BINARY | keyof typeof DECIMAL | undefined;
  const factor =
    unit === undefined
      ? 1
      : unit in BINARY
        ? BINARY[unit as keyof typeof BINARY]
        : DECIMAL[unit as keyof typeof DECIMAL];
  return Math.round(Number(match[1]) * factor);
}

/** Parses a Kubernetes CPU quantity (`500m`, `2`, `0.5`) into millicores. */
export function parseCpuQuantity(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(m)?$/.exec(text.trim());
  if (!match) throw new Error(`invalid cpu quantity "${text}": use e.g. 500m, 1, 2.5`);
  const value = Number(match[1]);
  return Math.round(match[2] === 'm' ? value : value * 1_000);
}

/** Formats bytes with binary units: 512 B, 1.5 KiB, 256.0 MiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
