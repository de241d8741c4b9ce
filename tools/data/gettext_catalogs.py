"""German gettext catalogs of Debian packages as a parallel-text source:
which packages, fetching and unpacking them, reading .mo files, licences,
and the filters for UI strings (placeholders, markup, accelerators)."""

import collections
import glob
import os
import re
import struct
import subprocess
import sys

from segment_text import normalize


# Debian 12 packages whose German gettext catalogs are used, in priority
# order (earlier packages win when the same pair occurs twice).
GETTEXT_PACKAGES = [
    # office, graphics and desktop applications
    "libreoffice-l10n-de", "gimp-data", "inkscape", "gnucash-common",
    "gnumeric-common", "digikam-data", "pidgin-data", "okular",
    "evolution-data-server-common", "nautilus-data", "thunar-data",
    "gnome-control-center-data", "gnome-shell-common", "libgtk-3-common",
    "libgtk2.0-common", "libglib2.0-data", "vlc-l10n", "audacity-data",
    "filezilla-common", "transmission-common", "rhythmbox-data",
    "totem-common", "gnome-terminal-data", "gnome-software-common",
    "evince-common", "gedit-common", "xfce4-panel", "xfce4-settings",
    "mousepad", "ristretto", "xfce4-terminal", "k3b-i18n", "kdenlive-data",
    "konsole", "dolphin", "kate6-data", "kate5-data", "gwenview",
    "gnome-calculator", "file-roller", "baobab", "gnome-disk-utility",
    "network-manager-gnome", "cheese-common", "eog", "shotwell-common",
    "brasero-common", "hexchat-common", "geany-common", "meld",
    "gramps", "synaptic", "gparted", "xournalpp", "dia-common",
    "claws-mail-i18n", "lyx-common", "calibre",
    # command-line tools and system software
    "vim-runtime", "git", "libc-l10n", "gcc-12-locales", "coreutils",
    "findutils", "grep", "sed", "tar", "diffutils", "make", "wget",
    "bash", "dpkg", "apt", "gnupg-l10n", "binutils-common", "gettext",
    "util-linux-locales", "psmisc", "procps", "passwd", "e2fsprogs",
    "krb5-locales", "xkb-data", "iso-codes", "postgresql-15", "gdb",
    "aspell", "nano", "mc-data", "parted", "cups-common", "sane-utils",
    "libsane-common", "network-manager", "policykit-1", "polkitd",
    "systemd", "shared-mime-info", "xdg-user-dirs", "tzdata",
]

# ISO catalogues with thousands of near-identical names: take only these.
ISO_KEEP = {"iso_3166-1.mo", "iso_639-2.mo", "iso_4217.mo", "iso_15924.mo"}

# Licences that the automatic reading of a free-form debian/copyright gets
# wrong or only vaguely; checked by hand against the files of these versions.
LICENCE_OVERRIDES = {
    "gcc-12-locales": "GPL-3+ (GCC; debian/copyright of gcc-12-base)",
    "krb5-locales": "MIT (MIT Kerberos licence)",
    "xkb-data": "MIT/X11-style permissive",
    "thunar-data": "GPL-2+ (Thunar; thunarx LGPL-2+)",
    "inkscape": "GPL-2+ (some portions public domain)",
    "evolution-data-server-common": "LGPL-2+",
    "wget": "GPL-3+",
    "libgtk2.0-common": "LGPL-2+",
}


def read_mo(path):
    """Return [(msgid, msgstr)] of a GNU .mo file, skipping plural forms."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 28:
        return []
    magic = struct.unpack("<I", data[:4])[0]
    if magic == 0x950412DE:
        e = "<"
    elif magic == 0xDE120495:
        e = ">"
    else:
        return []
    _, n, orig_off, trans_off = struct.unpack(e + "4I", data[4:20])
    out = []
    for i in range(n):
        ol, oo = struct.unpack(e + "2I", data[orig_off + 8 * i:orig_off + 8 * i + 8])
        tl, to = struct.unpack(e + "2I", data[trans_off + 8 * i:trans_off + 8 * i + 8])
        msgid = data[oo:oo + ol]
        msgstr = data[to:to + tl]
        if not msgid or b"\x00" in msgid:          # header, plural forms
            continue
        if b"\x04" in msgid:                       # msgctxt
            msgid = msgid.split(b"\x04", 1)[1]
        try:
            mi = msgid.decode("utf-8")
            ms = msgstr.decode("utf-8")
        except UnicodeDecodeError:
            try:
                mi = msgid.decode("latin-1")
                ms = msgstr.decode("latin-1")
            except UnicodeDecodeError:
                continue
        if not ms.strip() or "\x00" in ms:
            continue
        out.append((mi, ms))
    return out


PLACEHOLDER_RE = re.compile(
    r"%(?:\d+\$)?[-+ #0']*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:hh|h|ll|l|L|q|j|z|t|I64|I)*"
    r"[diouxXeEfFgGcsSpnqa%]"
    r"|%\d+|%[A-Z_]+%|\{[A-Za-z0-9_]*\}|\$\{?[A-Za-z_]+\}?|\$\d+")
TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>")
ACCEL_RE = {
    "_": re.compile(r"_(?=[^\W_])"),
    "&": re.compile(r"&(?=[^\W_])(?![A-Za-z]+;|#\d+;)"),
    "~": re.compile(r"~(?=[^\W_])"),
}


def strip_accelerators(s):
    for ch, rx in ACCEL_RE.items():
        hits = rx.findall(s)
        if len(hits) == 1 and s.count(ch) == 1:
            s = rx.sub("", s)
    # "(_D)" style accelerators appended to translations
    s = re.sub(r"\s*\(\s*[_&~]?[A-Z0-9]\s*\)$", "", s)
    return s


def clean_ui(s):
    s = s.replace("\\n", "\n")
    s = strip_accelerators(s)
    s = s.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    s = s.replace("&quot;", '"').replace("&apos;", "'")
    return normalize(s)


def markup_share(s):
    tags = sum(len(m) for m in TAG_RE.findall(s))
    ph = sum(len(m) for m in PLACEHOLDER_RE.findall(s))
    return (tags + ph) / max(1, len(s))


def ui_filter(en, de, stats):
    if markup_share(en) > 0.3 or markup_share(de) > 0.3:
        stats["ui_mostly_markup"] += 1
        return None
    # drop inline tags (keep their text)
    en2 = normalize(TAG_RE.sub("", en))
    de2 = normalize(TAG_RE.sub("", de))
    if sorted(PLACEHOLDER_RE.findall(en2)) != sorted(PLACEHOLDER_RE.findall(de2)):
        stats["ui_placeholder_mismatch"] += 1
        return None
    if re.search(r"https?://|www\.|@\w+\.|\\\w|[=|]{2,}|\b[A-Z_]{3,}=\S", en2 + " " + de2):
        stats["ui_code_or_url"] += 1
        return None
    return en2, de2


def find_mo_files(root):
    out = []
    for p in glob.glob(os.path.join(root, "**", "*.mo"), recursive=True):
        parts = p.split(os.sep)
        if "de" in parts or "de_DE" in parts:
            out.append(p)
    return sorted(out)


def licence_of(root, pkg):
    """Licence of the package as its debian/copyright states it."""
    docdir = os.path.join(root, "usr/share/doc", pkg)
    link = os.path.join(root, "doc-symlink")
    if os.path.isfile(link):
        # -data/-common packages often point their doc dir at another
        # package of the same source
        target = open(link).read().strip()
        for c in (os.path.join(root, "usr/share/doc", target, "copyright"),
                  os.path.join("/usr/share/doc", target, "copyright")):
            if os.path.isfile(c):
                return copyright_licence(c)
        return f"see debian/copyright of {target}"
    c = os.path.join(docdir, "copyright")
    if os.path.isfile(c):
        return copyright_licence(c)
    return "see debian/copyright"


def copyright_licence(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    stanzas = re.split(r"\n\s*\n", text)
    # machine-readable format: the licence of the "Files: *" stanza
    for st in stanzas:
        if re.search(r"^Files:\s*\*\s*$", st, re.M):
            m = re.search(r"^License:\s*(\S.*)$", st, re.M)
            if m:
                return m.group(1).strip()
    lic = re.findall(r"^License:[ \t]*(\S.*)$", text, re.M)
    if lic:
        return collections.Counter(x.strip() for x in lic).most_common(1)[0][0]
    for pat, name in [(r"GNU Lesser General Public\s+License", "LGPL"),
                      (r"GNU Library General Public\s+License", "LGPL"),
                      (r"GNU General Public\s+License", "GPL"),
                      (r"Mozilla Public License", "MPL"),
                      (r"Apache License", "Apache-2.0")]:
        m = re.search(pat, text, re.I)
        if m:
            tail = text[m.start():m.start() + 400]
            v = re.search(r"[Vv]ersion\s+(\d(?:\.\d)?)", tail)
            later = re.search(r"any\s+later\s+version", tail)
            return (name + ("-" + v.group(1) if v else "") + ("+" if v and later else "")
                    + " (free-form debian/copyright)")
    return "see debian/copyright"


def fetch_packages(work, packages, offline):
    debdir = os.path.join(work, "debs")
    os.makedirs(debdir, exist_ok=True)
    have = {}
    for pkg in packages:
        got = sorted(glob.glob(os.path.join(debdir, pkg + "_*.deb")))
        if not got and not offline:
            r = subprocess.run(["apt-get", "download", pkg], cwd=debdir,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if r.returncode != 0:
                print(f"  {pkg}: not available ({r.stderr.decode().strip()[:80]})",
                      file=sys.stderr)
            got = sorted(glob.glob(os.path.join(debdir, pkg + "_*.deb")))
        if got:
            have[pkg] = got[-1]
    return have


def read_gettext(work, packages, offline, stats, sources):
    pairs = []
    debs = fetch_packages(work, packages, offline)
    for pkg in packages:
        if pkg not in debs:
            continue
        deb = debs[pkg]
        version = subprocess.run(["dpkg-deb", "-f", deb, "Version"],
                                 capture_output=True, text=True).stdout.strip()
        root = os.path.join(work, "unpacked", pkg)
        if not os.path.isdir(root):
            # only the catalogs and the copyright file are needed
            os.makedirs(root)
            tar = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
            subprocess.run(["tar", "-x", "-C", root, "--wildcards", "--wildcards-match-slash",
                            "*/LC_MESSAGES/*.mo", "./usr/share/doc/*/copyright"],
                           stdin=tar.stdout, stderr=subprocess.DEVNULL)
            tar.wait()
            listing = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True,
                                     text=True).stdout
            m = re.search(r" \./usr/share/doc/" + re.escape(pkg) + r" -> (\S+)", listing)
            if m:
                with open(os.path.join(root, "doc-symlink"), "w") as f:
                    f.write(os.path.basename(m.group(1).rstrip("/")) + "\n")
        mos = find_mo_files(root)
        if pkg == "iso-codes":
            mos = [m for m in mos if os.path.basename(m) in ISO_KEEP]
        if not mos:
            continue
        n_raw = n_kept = 0
        for mo in mos:
            for msgid, msgstr in read_mo(mo):
                n_raw += 1
                en, de = clean_ui(msgid), clean_ui(msgstr)
                if not en or not de:
                    continue
                r = ui_filter(en, de, stats)
                if r is None:
                    continue
                en, de = r
                n_kept += 1
                pairs.append((de, en, "ui", pkg))
        lic = LICENCE_OVERRIDES.get(pkg) or licence_of(root, pkg)
        sources[pkg] = {"version": version, "licence": lic,
                        "catalogs": ",".join(sorted({os.path.basename(m) for m in mos})),
                        "raw": n_raw, "parsed": n_kept}
    return pairs
