#!/usr/bin/env python3
"""Rewrites vector loads and stores through pointers into the forms crossgen2 precompiles.

crossgen2 (.NET 10) cannot inline CoreLib's Vector128/256/512.Load(T*) and Store(T*) into another
assembly's ReadyToRun image (dotnet/runtime#120367): Load(p) is compiled as a call per vector (the
accumulators then live on the stack: GEMM 5x slower until tier 1) and Store(p) makes crossgen2 skip
the method. LoadUnsafe(ref *p) / StoreUnsafe(ref *p) are the same instructions, precompiled.
tests/Onyx.Kernels.Tests/ReadyToRunRulesTests.cs fails on the pointer forms under src/Onyx.Kernels.

Usage: tools/r2r-vector-forms.py FILE.cs...   (rewrites in place, prints the count per file)
"""
import re
import sys


def match_paren(s, i):
    depth = 0
    for j in range(i, len(s)):
        if s[j] in '([{':
            depth += 1
        elif s[j] in ')]}':
            depth -= 1
            if depth == 0:
                return j
    raise ValueError('unbalanced parentheses')


def split_args(args):
    depth, parts, cur = 0, [], ''
    for c in args:
        if c in '([{':
            depth += 1
        elif c in ')]}':
            depth -= 1
        if c == ',' and depth == 0:
            parts.append(cur)
            cur = ''
        else:
            cur += c
    parts.append(cur)
    return [p.strip() for p in parts]


def ref_of(p):
    return 'ref *' + p if re.fullmatch(r'[A-Za-z_][A-Za-z_0-9]*', p) else 'ref *(' + p + ')'


STATIC = re.compile(r'Vector(128|256|512)\.(Load|Store)\(')
INSTANCE_STORE = re.compile(r'\.Store\(')


def rewrite(src):
    out, i, n = [], 0, 0
    while i < len(src):
        m = STATIC.match(src, i)
        if m and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] in '_.')):
            close = match_paren(src, m.end() - 1)
            args = [rewrite(a)[0] for a in split_args(src[m.end():close])]
            if m.group(2) == 'Load' and len(args) == 1:
                out.append(f'Vector{m.group(1)}.LoadUnsafe({ref_of(args[0])})')
            elif m.group(2) == 'Store' and len(args) == 2:
                out.append(f'Vector{m.group(1)}.StoreUnsafe({args[0]}, {ref_of(args[1])})')
            else:
                raise ValueError('unexpected arguments: ' + src[i:close + 1])
            i, n = close + 1, n + 1
            continue
        m = INSTANCE_STORE.match(src, i)
        if m:
            close = match_paren(src, m.end() - 1)
            args = split_args(src[m.end():close])
            if len(args) == 1 and args[0]:  # v.Store(p); multi-argument Store methods are someone else's
                out.append(f'.StoreUnsafe({ref_of(args[0])})')
                i, n = close + 1, n + 1
                continue
        out.append(src[i])
        i += 1
    return ''.join(out), n


if __name__ == '__main__':
    for path in sys.argv[1:]:
        with open(path) as f:
            text, count = rewrite(f.read())
        if count:
            with open(path, 'w') as f:
                f.write(text)
            print(f'{count:4} {path}')
