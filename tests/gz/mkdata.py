#!/usr/bin/env python3
"""tests/gz/mkdata.py SHARED OUTDIR: gzip files made with Python's gzip and
zlib modules (zlib 1.2.13) from a few corpus files, for tests/suite_gz.sh:
levels 1, 6 and 9, every header flag, several members, an empty member.
Each NAME.gz is listed in OUTDIR/SOURCES with what it must decode to
(corpus paths, concatenated).  Deterministic (MTIME 0), run once; the
files are kept in the repository."""
import gzip
import io
import struct
import sys
import zlib

shared, out = sys.argv[1], sys.argv[2]
SRC = {
    'hook': 'rendered/k2s-kube-prometheus-stack-47.1.0-job-createSecret-hook.yaml',
    'kubeconfig': 'kubeconfig/java-kubeconfig-https-x509-certdata.yaml',
}
data = {k: open(f'{shared}/corpus/{v}', 'rb').read() for k, v in SRC.items()}
sources = []


def member(body, level, flags=0, name=b'', comment=b'', extra=b'',
           strategy=zlib.Z_DEFAULT_STRATEGY):
    """One member with the header written by hand: Python's gzip module
    writes FNAME only."""
    h = b'\x1f\x8b\x08' + bytes([flags]) + b'\0\0\0\0' + \
        bytes([2 if level == 9 else 4 if level == 1 else 0]) + b'\x03'
    if flags & 4:
        h += struct.pack('<H', len(extra)) + extra
    if flags & 8:
        h += name + b'\0'
    if flags & 16:
        h += comment + b'\0'
    if flags & 2:
        h += struct.pack('<H', zlib.crc32(h) & 0xffff)
    c = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
    return h + c.compress(body) + c.flush() + \
        struct.pack('<II', zlib.crc32(body), len(body) & 0xffffffff)


def write(name, blob, *keys):
    open(f'{out}/{name}', 'wb').write(blob)
    sources.append(name + ' ' + ' '.join(SRC[k] if k in SRC else '-'
                                         for k in keys))


for level in (1, 6, 9):
    for k in ('hook', 'kubeconfig'):
        buf = io.BytesIO()
        with gzip.GzipFile(k + '.yaml', 'wb', level, buf, mtime=0) as g:
            g.write(data[k])
        write(f'py-{k}-l{level}.gz', buf.getvalue(), k)
write('py-flags-all.gz', member(data['hook'], 9, 2 | 4 | 8 | 16,
      b'release.json', b'a comment', b'AP\x04\0abcdXY\x00\x00'), 'hook')
write('py-flags-extra-hcrc.gz', member(data['kubeconfig'], 6, 2 | 4,
      extra=b''), 'kubeconfig')
write('py-flags-text-comment.gz', member(data['kubeconfig'], 1, 1 | 16,
      comment=b'x' * 300), 'kubeconfig')
write('py-huffman-only.gz', member(data['hook'], 9,
      strategy=zlib.Z_HUFFMAN_ONLY), 'hook')
write('py-fixed.gz', member(data['hook'], 9, strategy=zlib.Z_FIXED), 'hook')
write('py-stored.gz', member(data['hook'], 0), 'hook')
write('py-multi.gz', member(data['hook'], 1) + member(b'', 9) +
      member(data['kubeconfig'], 9, 8, name=b'second'), 'hook', 'kubeconfig')
write('py-empty.gz', gzip.compress(b'', 9, mtime=0), '-')
open(f'{out}/SOURCES', 'a').write('\n'.join(sources) + '\n')
