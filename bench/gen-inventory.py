#!/usr/bin/env python3
"""gen-inventory.py — a deterministic provfs inventory of N devices, for `make bench`.

usage: gen-inventory.py N OUT.yaml [--vendors gs,pa] [--firmware DIR VERSION] [--tag STR]
                        [--names FILE]

  N            number of devices (1..1000000)
  OUT.yaml     where to write the inventory; written to OUT.yaml.tmp and renamed over OUT.yaml,
               so a mount watching it never sees half a file
  --vendors    which vendors, comma-separated, from gs (Grandstream) and pa (Panasonic); default
               gs,pa. Devices are dealt round-robin: with gs,pa device i is Grandstream when i is
               even, Panasonic when odd.
  --firmware   (needs gs) add `firmware_dir: DIR` and a firmware block {version: VERSION, prefix: gs_,
               postfix: _VERSION} to the model GXP2170. Nothing is created on disk: the caller
               makes DIR/grandstream/VERSION/<files> (provctl check fails without them).
  --tag        a string (default 0; [A-Za-z0-9.-]) woven into the defaults, every model and
               every device's account: generating again with another tag changes the bytes of
               every device file (the "reload that changes everything" of a bench).
  --names      also write the device file names a phone fetches, one a line, in device order:
               Grandstream  cfg<mac>.xml (encrypted with the device's xml_password)
               Panasonic    KX-UTG300 (utg-xml, encrypt: true):  Config<MAC>.enc,
                            Config<MODEL>-<MAC>.enc, ConfigCom-<MAC>.enc
                            KX-HDV130N, KX-UT136 (text dialect, plain):  Config<MAC>.cfg
               The plain key file Config<MAC>.cfg of an encrypted device is never listed: reading
               it and then an .enc name delivers the key and makes the plain file vanish.

Device i (0-based):
  Grandstream  MAC 000b82 + i (24 bits), models GXP2170 / GXP1625 alternating, xml_password
               derived from i, one account (user 100000+i, a password derived from i)
  Panasonic    MAC 0080F0 + i, three of four KX-UTG300 (encrypted), the fourth KX-HDV130N or
               KX-UT136 (text dialect), one account as above
The same arguments always give the same bytes. server.url is http://127.0.0.1/prov; there is a
`generic` section (cfg.xml, cfg<model>.xml). Plain python3, standard library only.
"""

import hashlib
import os
import re
import sys

GS_OUI = "000b82"
PA_OUI = "0080F0"
MAX_N = 1000000


def usage(msg=None):
    if msg:
        sys.stderr.write("gen-inventory.py: %s\n" % msg)
    sys.stderr.write(
        "usage: gen-inventory.py N OUT.yaml [--vendors gs,pa] [--firmware DIR VERSION] "
        "[--tag STR] [--names FILE]\n"
    )
    sys.exit(2)


def secret(kind, i):
    """A deterministic secret for device i: 16 hex digits of SHA-256."""
    return hashlib.sha256(("provfs-bench:%s:%d" % (kind, i)).encode()).hexdigest()[:16]


def q(s):
    """A YAML double-quoted scalar (our strings are plain ASCII without quotes/backslashes)."""
    return '"%s"' % s


def parse_args(argv):
    pos = []
    opts = {"vendors": ["gs", "pa"], "firmware": None, "tag": "0", "names": None}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--vendors":
            if i + 1 >= len(argv):
                usage("--vendors needs a value")
            v = [x for x in argv[i + 1].split(",") if x]
            if not v or any(x not in ("gs", "pa") for x in v) or len(set(v)) != len(v):
                usage("--vendors takes gs, pa or gs,pa")
            opts["vendors"] = v
            i += 2
        elif a == "--firmware":
            if i + 2 >= len(argv):
                usage("--firmware needs DIR and VERSION")
            ver = argv[i + 2]
            if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}", ver):
                usage("bad firmware version %r" % ver)
            opts["firmware"] = (argv[i + 1], ver)
            i += 3
        elif a == "--tag":
            if i + 1 >= len(argv) or not re.fullmatch(r"[A-Za-z0-9.-]{1,32}", argv[i + 1]):
                usage("--tag takes 1 to 32 characters of [A-Za-z0-9.-]")
            opts["tag"] = argv[i + 1]
            i += 2
        elif a == "--names":
            if i + 1 >= len(argv):
                usage("--names needs a file")
            opts["names"] = argv[i + 1]
            i += 2
        elif a.startswith("--"):
            usage("unknown option %s" % a)
        else:
            pos.append(a)
            i += 1
    if len(pos) != 2:
        usage()
    try:
        n = int(pos[0])
    except ValueError:
        usage("N must be a number")
    if n < 1 or n > MAX_N:
        usage("N must be 1..%d" % MAX_N)
    return n, pos[1], opts


def devices(n, vendors):
    """(index, vendor, mac, model, encrypted) for each device, in order."""
    per = {"gs": 0, "pa": 0}
    for i in range(n):
        v = vendors[i % len(vendors)]
        k = per[v]  # the device's number within its vendor: MACs stay dense
        per[v] += 1
        if v == "gs":
            yield i, v, "%s%06x" % (GS_OUI, k), ("GXP2170" if k % 2 == 0 else "GXP1625"), True
        else:
            if k % 4 == 3:
                model = "KX-HDV130N" if (k // 4) % 2 == 0 else "KX-UT136"
                yield i, v, "%s%06X" % (PA_OUI, k), model, False
            else:
                yield i, v, "%s%06X" % (PA_OUI, k), "KX-UTG300", True


def names_of(vendor, mac, model, encrypted):
    if vendor == "gs":
        return ["cfg%s.xml" % mac]
    if encrypted:
        return ["Config%s.enc" % mac, "Config%s-%s.enc" % (model, mac), "ConfigCom-%s.enc" % mac]
    return ["Config%s.cfg" % mac]


def render(n, opts):
    tag = opts["tag"]
    vendors = opts["vendors"]
    out = []
    w = out.append
    w("# Generated by bench/gen-inventory.py %d --vendors %s --tag %s%s: do not edit."
      % (n, ",".join(vendors), tag,
         " --firmware %s %s" % opts["firmware"] if opts["firmware"] else ""))
    w("version: 1")
    w("server:")
    w("  url: http://127.0.0.1/prov")
    if opts["firmware"]:
        w("firmware_dir: %s" % q(opts["firmware"][0]))
    w("defaults:")
    w("  settings:")
    w("    ntp_server: %s" % q("ntp-%s.example.com" % tag))
    w("    resync_minutes: 1440")
    w("  params:")
    w("    grandstream: {P1362: en, P122: 1}")
    if "gs" in vendors:
        w("generic:")
        w("  settings: {ntp_server: %s}" % q("ntp-generic.example.com"))
    w("models:")
    model_settings = "settings: {sip_server: %s}" % q("sip-%s.example.com" % tag)
    # A Panasonic model's product layer holds only what the model sets: a tag-dependent
    # NTP resync interval (60..86459 s) makes it change with the tag too.
    tagnum = 60 + int(hashlib.sha256(tag.encode()).hexdigest(), 16) % 86400
    pa_settings = "%s, params: {TIME_SYNC_INTVL: %d}" % (model_settings, tagnum)
    if "gs" in vendors:
        fw = ""
        if opts["firmware"]:
            ver = opts["firmware"][1]
            fw = ", firmware: {version: %s, prefix: gs_, postfix: %s}" % (q(ver), q("_" + ver))
        w("  GXP2170: {vendor: grandstream, max_lines: 6, %s%s}" % (model_settings, fw))
        w("  GXP1625: {vendor: grandstream, max_lines: 2, %s}" % model_settings)
    if "pa" in vendors:
        w("  KX-UTG300: {vendor: panasonic, max_lines: 6, encrypt: true, key_length: 256, %s}"
          % pa_settings)
        w("  KX-HDV130N: {vendor: panasonic, max_lines: 2, %s}" % pa_settings)
        w("  KX-UT136: {vendor: panasonic, max_lines: 6, %s}" % pa_settings)
    w("devices:")
    names = []
    for i, v, mac, model, enc in devices(n, vendors):
        line = "{user: %s, password: %s, display_name: %s}" % (
            q(str(100000 + i)), q("pw" + secret("line", i)), q("Phone %d %s" % (i, tag)))
        if v == "gs":
            w("  %s: {model: %s, xml_password: %s, lines: [%s]}"
              % (mac, model, q("x" + secret("xml", i)), line))
        else:
            w("  %s: {model: %s, lines: [%s]}" % (mac, model, line))
        names.extend(names_of(v, mac, model, enc))
    return "\n".join(out) + "\n", names


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    n, out, opts = parse_args(sys.argv[1:])
    text, names = render(n, opts)
    if opts["names"]:
        write_atomic(opts["names"], "\n".join(names) + "\n")
    write_atomic(out, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
