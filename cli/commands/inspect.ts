import { shownLines } from '../../core/text.js';
import { Command } from 'commander';
import fs from 'node:fs';
import { openSource, type SourceFacts } from '../../source/source.js';
import { hiddenAreas, type HiddenAreas } from '../../source/hidden-areas.js';
import { ExhibitError, refuseEmptyName } from '../../core/errors.js';
import { formatBytes } from '../../core/units.js';
import { openImage } from '../../image/open.js';
import { tableLines, readPartitionTable, type ByteSource, type PartitionTable } from '../../image/partitions/index.js';
import { action, printJson } from '../action.js';
import { info } from '../messages.js';
import { io } from '../io.js';
import { RAW_OPTION_HELP } from '../format-options.js';

interface InspectFlags {
  json?: boolean;
  raw?: boolean;
}


export function inspectCommand(): Command {
  return action<InspectFlags>(
    new Command('inspect')
      .summary('what is on a drive or in an image: partitions, file systems, hidden areas, without writing anything')
      .description(
        'Reads the partition table of a drive (opened read-only) or of any image exhibit reads: MBR with its extended and logical ' +
          'partitions, or GPT with both headers and their CRCs checked; each partition with its start, end, size, type, name and a ' +
          'file system guessed from its signature; the unallocated gaps; and, for an ATA drive, hidden areas (HPA/DCO, through hdparm). ' +
          'Damaged or hostile tables give findings, never a crash.',
      )
      .argument('<target>', 'a drive (/dev/sdb) or an image (.raw, .001, .E01, .Ex01, .aff4, .zst)')
      .option('--raw', RAW_OPTION_HELP)
      .option('--json', 'print everything as JSON')
      .addHelpText('after', '\nExamples:\n  exhibit inspect /dev/sdb\n  exhibit inspect /cases/2026-0117/EV-001.E01 --json'),
    async ([target], f) => {
      refuseEmptyName(target!, 'device or image');
      const st = fs.statSync(target!, { throwIfNoEntry: false });
      if (!st) throw new ExhibitError('NOT_FOUND', `${target} does not exist`);
      let table: PartitionTable;
      let facts: SourceFacts | undefined;
      let hidden: HiddenAreas | undefined;
      let format = 'device';
      if (st.isBlockDevice()) {
        const opened = await openSource(target!);
        facts = opened.facts;
        try {
          const src: ByteSource = { size: facts.size_bytes, read: async (into, offset, length) => (await opened.handle.read(into, 0, length, offset)).bytesRead };
          table = await readPartitionTable(src, facts.logical_sector_size);
        } finally {
          await opened.handle.close();
        }
        hidden = hiddenAreas(target!, facts.device);
      } else {
        const { reader, warnings, notes } = await openImage(target!, { raw: f.raw === true });
        try {
          for (const w of warnings) info(`warning: ${w}`);
          for (const n of notes) info(`note: ${n}`);
          format = reader.format;
          table = await readPartitionTable(reader, reader.sectorSize); // none known (raw, zst): guessed from where the GPT header lies
        } finally {
          await reader.close();
        }
      }
      if (f.json) return printJson({ target, kind: facts ? 'block-device' : 'image', format, ...(facts ? { facts } : {}), table, ...(hidden ? { hidden_areas: hidden } : {}) });
      const out: string[] = [];
      if (facts) {
        const d = facts.device!;
        out.push(`${target}: ${formatBytes(facts.size_bytes)} (${facts.size_bytes} bytes), sectors of ${facts.logical_sector_size} (physical ${facts.physical_sector_size})`);
        const id = [d.vendor, d.model, d.serial ? `serial ${d.serial}` : undefined].filter(Boolean).join(', ');
        if (id) out.push(`  ${id}`);
        out.push(`  hidden areas (HPA/DCO): ${hidden!.state}: ${hidden!.detail}`);
      } else out.push(`${target}: ${format} image`);
      for (const line of tableLines(table)) out.push(line); // one push of 100,000 arguments overflows the stack
      io().stdout.write(shownLines(out));
    },
  );
}

