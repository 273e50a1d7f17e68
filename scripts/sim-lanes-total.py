# Totals over the chunk summaries of scripts/sim-lane.sh logs: python3 scripts/sim-lanes-total.py longrun/lane*.log
import re, sys, glob
logs = sys.argv[1:]
tot = {}
keys = ['seeds','wall time','writes acknowledged','acked writes excused (lost to EMPTY restarts beyond the fault model)','elections (election-start)','failovers measured','liveness not required (no electable node could win)']
viol = {}
mem = [0,0,0]; stopped=0; seven=0; unag=0; chunks=0; wall=0.0
starts=[]; ends=[]
for f in logs:
    for line in open(f):
        m = re.match(r'=== chunk (\d+)\.\.(\d+) start (\S+)', line)
        if m: starts.append(m.group(3))
        m = re.match(r'=== chunk (\d+)\.\.(\d+) exit (\d+) end (\S+)', line)
        if m: ends.append(m.group(4)); chunks += 1
        m = re.match(r'\| (.+?) +\| (.+?) +\|$', line.strip())
        if not m: continue
        k, v = m.group(1).strip(), m.group(2).strip()
        if k == 'seeds': tot['seeds'] = tot.get('seeds',0)+int(v)
        elif k == 'wall time': wall += float(v.split()[0])
        elif k.startswith('violations: '): viol[k[12:]] = viol.get(k[12:],0)+int(v)
        elif k == 'writes acknowledged': tot['acked'] = tot.get('acked',0)+int(v)
        elif k.startswith('acked writes excused'): tot['excused'] = tot.get('excused',0)+int(v)
        elif k.startswith('elections (election-start)'): tot['elections'] = tot.get('elections',0)+int(v.split()[0])
        elif k.startswith('membership changes accepted'):
            a,b,c = [int(x) for x in v.split(' / ')]; mem[0]+=a; mem[1]+=b; mem[2]+=c
        elif k.startswith('removed members stopped'):
            a,b = v.split(';'); stopped+=int(a); seven+=int(b)
        elif k.startswith('runs started with born lists'): unag += int(v)
print('chunks', chunks, 'first start', min(starts) if starts else '-', 'last end', max(ends) if ends else '-')
print('seeds', tot.get('seeds'), 'summed chunk wall s', round(wall,1), 'violations', viol)
print('acked', tot.get('acked'), 'excused', tot.get('excused'), 'elections', tot.get('elections'))
print('membership accepted/requests/gaveup', mem, 'stopped', stopped, 'runs at 7', seven, 'unagreed runs', unag)
