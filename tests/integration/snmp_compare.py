#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compare what snmpdrv found for the shared real-device recordings with
LibreNMS's results for the same devices (../shared/fixtures/expected).
Prints one line per check: "PASS|FAIL|TODO description" and "# detail"
lines listing every disagreement (read by snmp_fixtures.sh).

usage: snmp_compare.py SNMPDRV_OUTPUT EXPECTED_DIR NAME...
"""
import json
import re
import sys

out, expdir, names = sys.argv[1], sys.argv[2], sys.argv[3:]
lab_re = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')

ports = {}    # name -> ifindex -> {"name":, "speed":}
status = {}   # name -> info dict
fw = {}       # name -> set of firmware/software strings (inventory)
ents = {}     # name -> entPhysicalIndex -> attrs
KNOWN = {
    "quantastor": "LibreNMS reads the QuantaStor appliance package version "
                  "(hrSWInstalledName qstorservice-...); chokepoint reports "
                  "the OS (kernel) version from sysDescr",
}
for line in open(out, errors="replace"):
    if line.startswith("S "):
        head, _, rest = line[2:].partition("{")
        target, metric = head.split(" ", 1)
        labels, _, val = rest.rpartition("} ")
        lab = dict(lab_re.findall(labels))
        if "ifindex" not in lab:
            continue
        p = ports.setdefault(target, {}).setdefault(int(lab["ifindex"]), {})
        if metric == "if_info":
            p["name"] = lab["ifname"]
        elif metric == "if_speed_bps":
            p["speed"] = int(float(val.split()[1]))
    elif line.startswith("T "):
        target = line.split()[1]
        status[target] = dict(lab_re.findall(line.partition("{")[2]))
    elif line.startswith("I "):
        parts = line.split(" ", 4)
        if len(parts) == 5 and parts[2] in ("firmware", "entity"):
            lab = dict(lab_re.findall(parts[4]))
            if parts[2] == "entity":
                ents.setdefault(parts[1], {})[int(parts[3])] = lab
            for k in ("version", "software_rev", "firmware_rev"):
                if lab.get(k):
                    fw.setdefault(parts[1], set()).add(lab[k])

for name in names:
    exp = json.load(open("%s/%s.json" % (expdir, name)))
    # Interfaces: poller rows when present, else discovery.
    prt = exp.get("ports", {})
    rows = prt.get("poller", {})
    if not isinstance(rows, dict) or not rows.get("ports"):
        rows = prt.get("discovery", {})
    rows = rows.get("ports", []) if isinstance(rows, dict) else []
    want = {r["ifIndex"]: r for r in rows}
    got = ports.get(name, {})
    common = sorted(set(want) & set(got))
    bad = []
    for i in common:
        w, g = want[i], got[i]
        if w.get("ifName") not in (None, "") and w["ifName"] != g.get("name"):
            bad.append("ifIndex %d: name %r, LibreNMS %r" %
                       (i, g.get("name"), w["ifName"]))
        ws = w.get("ifSpeed")
        if ws is not None and g.get("speed") is not None and \
                int(ws) != g["speed"]:
            bad.append("ifIndex %d (%s): speed %d bit/s, LibreNMS %s" %
                       (i, w.get("ifName"), g["speed"], ws))
    only_us = sorted(set(got) - set(want))
    only_them = sorted(set(want) - set(got))
    print("%s %s: %d interfaces in common, names and speeds agree" %
          ("FAIL" if bad else "PASS", name, len(common)))
    for b in bad:
        print("# %s: %s" % (name, b))
    print("%s %s: interface count %d, LibreNMS %d (%d only ours, %d only "
          "theirs)" % ("FAIL" if only_them else "PASS", name, len(got),
                       len(want), len(only_us), len(only_them)))
    if only_us:
        print("# %s: only ours (LibreNMS ignores them): %s" % (
            name, ", ".join("%d=%s" % (i, got[i].get("name")) for i in only_us)))
    if only_them:
        print("# %s: missing here: %s" % (name, only_them))
    # Version: sysDescr parse or an inventory revision must give it.
    dev = exp.get("os", {}).get("discovery", {}).get("devices", [{}])[0]
    wv = dev.get("version") or ""
    st = status.get(name, {})
    ours = set(filter(None, [st.get("version", "")])) | fw.get(name, set())
    def agrees(w, o):
        norm = lambda s: re.sub(r"\.0+(\d)", r".\1", s)
        return w == o or w.endswith(" " + o) or norm(w) == norm(o) or \
            w.split(" ")[-1] == norm(o)
    hit = [o for o in ours if agrees(wv, o)]
    if not wv:
        print("PASS %s: LibreNMS records no version" % name)
    elif hit:
        print("PASS %s: version %r agrees (%s)" % (name, wv, hit[0]))
    elif name in KNOWN:
        print("SKIP %s: version %r not found (ours: %s): known: %s" %
              (name, wv, sorted(ours) or "none", KNOWN[name]))
    else:
        print("FAIL %s: version %r not found (ours: %s)" %
              (name, wv, sorted(ours) or "none"))
    # Entity revisions, serials and models per entPhysicalIndex.
    ep = exp.get("entity-physical", {}).get("discovery", {})
    rows = ep.get("entPhysical", []) if isinstance(ep, dict) else []
    if not rows:
        continue
    mine = ents.get(name, {})
    bad = []
    fields = (("entPhysicalSoftwareRev", "software_rev"),
              ("entPhysicalFirmwareRev", "firmware_rev"),
              ("entPhysicalHardwareRev", "hardware_rev"),
              ("entPhysicalSerialNum", "serial"),
              ("entPhysicalModelName", "model"))
    for r in rows:
        i = r["entPhysicalIndex"]
        if i not in mine:
            bad.append("entPhysicalIndex %d missing" % i)
            continue
        for ek, ok_ in fields:
            w = r.get(ek) or ""
            g = mine[i].get(ok_, "")
            if w != g:
                bad.append("entPhysicalIndex %d %s: %r, LibreNMS %r" %
                           (i, ok_, g, w))
    print("%s %s: %d entities, revisions/serials/models agree (%d here)" %
          ("FAIL" if bad else "PASS", name, len(rows), len(mine)))
    for b in bad[:40]:
        print("# %s: %s" % (name, b))
    if len(bad) > 40:
        print("# %s: ... %d more" % (name, len(bad) - 40))
