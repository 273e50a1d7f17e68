/**
 * One short, readable line per election message (`OFFER e3 off=120`,
 * `REFUSE e3 (stale-offset, voter at e4)`), for the simulator's timeline and
 * the scenario tests' golden files. The byte-exact frames are the codec's
 * (encode.ts); this form is for people reading a run. It leaves out what the
 * line around it already names: the sender, and the ids that must equal it.
 */
import type { ElectionMessage } from './messages.js';

export function renderMessage(m: ElectionMessage): string {
  switch (m.type) {
    case 'HB':
      return `HB e${m.epoch} ${m.role} off=${m.replOffset}`;
    case 'PREVOTE':
      return `PREVOTE e${m.epoch} off=${m.replOffset} data-epoch=${m.dataEpoch}`;
    case 'OFFER':
      return `OFFER e${m.epoch} off=${m.replOffset}`;
    case 'PREACCEPT':
      return `PREACCEPT e${m.epoch}`;
    case 'ACCEPT':
      return `ACCEPT e${m.epoch}`;
    case 'REFUSE':
      return `REFUSE e${m.epoch} (${m.reason}, voter at e${m.voterEpoch})`;
    case 'ANNOUNCE':
      return `ANNOUNCE e${m.epoch} primary=${m.primaryId}`;
    case 'LEASE':
      return `LEASE e${m.epoch} seq=${m.seq}`;
    case 'LEASEACK':
      return `LEASEACK e${m.epoch} seq=${m.seq}`;
    case 'HANDOFF':
      return `HANDOFF e${m.epoch} to=${m.targetId} off=${m.primaryOffset}`;
    case 'CONFVER':
      return `CONFVER v${m.version} (epoch ${m.configEpoch}) digest=${m.digest.slice(0, 8)} data-epoch=${m.dataEpoch}`;
    case 'CONFIG':
      return `CONFIG v${m.version} (epoch ${m.configEpoch}) ${m.members.split(';').map((e) => e.split(',', 2).join(' ')).join(', ')}`;
  }
}
