/**
 * Sectors an ATA drive hides from the host: a host protected area (HPA) set
 * with SET MAX ADDRESS, and a device configuration overlay (DCO) that shrinks
 * even the native maximum. The kernel shows only what is left, so exhibit,
 * like every tool that reads the block device, images the visible sectors;
 * what is hidden must at least be known and recorded. Asked through hdparm
 * (READ NATIVE MAX ADDRESS and DCO IDENTIFY, which change nothing on the
 * drive), for ATA drives only; said plainly when it does not apply or cannot
 * be known.
 */
import { spawnSync } from 'node:child_process';
import type { BlockDeviceFacts } from './block-device.js';

export interface HiddenAreas {
  state: 'none found' | 'present' | 'not applicable' | 'unknown';
  detail: string;
}

/** HPA/DCO through hdparm, for ATA drives; said plainly when it does not apply or cannot be known. */
export function hiddenAreas(target: string, device: BlockDeviceFacts | undefined): HiddenAreas {
  const name = device?.kernel_name ?? '';
  if (/^(loop|nbd|dm-|md|ram|zram|nvme|mmcblk|sr)/.test(name)) return { state: 'not applicable', detail: `${name} is not an ATA drive` };
  // A partition's hidden areas are its drive's.
  if (device?.is_partition && device.whole_disk) target = `/dev/${device.whole_disk}`;
  const r = spawnSync('hdparm', ['-N', target], { encoding: 'utf8', timeout: 15_000 });
  if (r.error) return { state: 'unknown', detail: 'hdparm is not installed (Debian: apt-get install hdparm)' };
  const m = /max sectors\s*=\s*(\d+)\/(\d+),\s*HPA is (enabled|disabled)/.exec(r.stdout);
  if (!m) return { state: 'unknown', detail: `the drive did not answer hdparm -N (${(r.stderr || r.stdout).trim().split('\n').pop() ?? 'no output'}); it may not be ATA, or sits behind a bridge` };
  const visible = Number(m[1]);
  const native = Number(m[2]);
  // A device configuration overlay can shrink even the "native" maximum: its real maximum says by how much.
  const dco = /Real max sectors:\s*(\d+)/.exec(spawnSync('hdparm', ['--dco-identify', target], { encoding: 'utf8', timeout: 15_000 }).stdout ?? '');
  const real = dco ? Number(dco[1]) : undefined;
  const parts: string[] = [];
  if (visible < native) parts.push(`a host protected area (HPA) hides ${native - visible} sectors (${visible} visible of ${native})`);
  if (real !== undefined && real > native) parts.push(`a device configuration overlay (DCO) hides ${real - native} more (real maximum ${real})`);
  if (parts.length > 0) return { state: 'present', detail: `${parts.join('; ')}; exhibit images the visible sectors only` };
  return { state: 'none found', detail: `no HPA (${visible} of ${native} sectors visible)${real === undefined ? '; the drive gave no DCO answer' : '; no DCO'}` };
}
