"""LaTeX math to MathML for the HTML sheets, via latex2mathml, with the corrections a
browser needs to typeset it the way TeX would.

MathML is drawn natively by Chromium and Firefox, so pages need no script, font or CDN.
latex2mathml translates symbol by symbol; the fixes below restore what TeX infers from
context (an operator name is an identifier, a leading minus is unary, limits go under).

>>> "<mi>diag</mi>" in to_mathml(r"\\operatorname{diag}\\left(s\\right)")
True
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from latex2mathml.converter import convert

NS = "http://www.w3.org/1998/Math/MathML"
ET.register_namespace("", NS)

_OPERATORNAME = re.compile(r"\\operatorname\*?\{([^{}]*)\}")
_FENCE = re.compile(r"\\(left|right)\s*(\\[{}]|\\[a-zA-Z]+|.)")
_TALL = re.compile(r"\\(frac|dfrac|tfrac|sum|prod|int|begin|lim|max|min|binom|sqrt|underbrace|overbrace)(?![a-zA-Z])")
_WITH_LIMITS = {"lim", "max", "min", "sup", "inf", "\u2211", "\u220f"}     # lim, max, ..., sum, product
_CLOSERS = set(")]}|\u2016\u27e9")
_OPENERS = set("([{|\u2016\u27e8\u2061\u2032\u2033'")   # no thin space before these
_PRIMES = {"\u2032", "\u2033", "'"}
_SCRIPTS = {"msub": "munder", "msubsup": "munderover"}
_SCRIPTED_FUNCTION = ("msup", "msub", "msubsup")
# Elements whose children are positional arguments: never insert into them.
_ARGUMENTS = {"msup", "msub", "msubsup", "munder", "mover", "munderover", "mfrac", "mroot"}


def _tag(element) -> str:
    return element.tag.rpartition("}")[2]


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


_ITALIC_CORRECTION = "0.1em"
# Italic capitals and f overhang their advance width on the right (a large italic correction).
_OVERHANGING = set("ABCDEFGHIJKLMNOPQRSTUVWXYZf")


def _leans_right(element) -> bool:
    """Is ``element`` a single italic letter whose top overhangs to the right?"""
    return (_tag(element) == "mi" and (element.text or "") in _OVERHANGING
            and element.get("mathvariant") not in ("normal", "bold"))


def _first_leaf(element):
    while _tag(element) == "mrow" and len(element):
        element = element[0]
    return element


def relax_fences(tex: str) -> str:
    r"""Turn \left( ... \right) around flat content into plain ( ... ).

    Browsers draw stretchy fences from Latin Modern Math with wide side bearings, so
    "( s )" would look spaced out; a fence around nothing tall need not stretch anyway.
    """
    opens, pairs = [], []
    for match in _FENCE.finditer(tex):
        if match.group(1) == "left":
            opens.append(match)
        elif opens:
            pairs.append((opens.pop(), match))
    plain = {}
    for left, right in pairs:
        if not _TALL.search(tex[left.end():right.start()]):
            for m in (left, right):
                delimiter = m.group(2)
                plain[m.start()] = (m.end(), "" if delimiter == "." else delimiter)
    out, at = [], 0
    for start in sorted(plain):
        end, delimiter = plain[start]
        out += [tex[at:start], delimiter]
        at = end
    return "".join(out) + tex[at:]


def _compatible(tex: str) -> str:
    # latex2mathml mangles \operatorname* and names holding spacing commands (arg\,max).
    def name(m):
        text = m.group(1)
        return rf"\operatorname{{{text}}}" if text.isalpha() else rf"\mathrm{{{text}}}"
    return relax_fences(_OPERATORNAME.sub(name, tex))


def _bold(text: str) -> str:
    """Mathematical bold code points: Chromium's MathML ignores mathvariant="bold" (only
    "normal" is in MathML Core), so the bold 1 of softmax(z + c 1) would print as 1."""
    out = []
    for c in text:
        if "A" <= c <= "Z":
            out.append(chr(0x1D400 + ord(c) - ord("A")))
        elif "a" <= c <= "z":
            out.append(chr(0x1D41A + ord(c) - ord("a")))
        elif "0" <= c <= "9":
            out.append(chr(0x1D7CE + ord(c) - ord("0")))
        else:
            out.append(c)
    return "".join(out)


def _tidy(root: ET.Element) -> None:
    for element in root.iter():
        if element.get("mathvariant") == "bold" and element.text:
            element.text = _bold(element.text)
            del element.attrib["mathvariant"]
            if _tag(element) == "mn":
                element.tag = _q("mi")     # a bold 1 is the all-ones vector, a symbol
    for parent in list(root.iter()):
        children = list(parent)
        scripted = _tag(parent) in _SCRIPTS or _tag(parent) in _SCRIPTS.values()
        if _tag(parent) in _SCRIPTS and children and _tag(children[0]) == "mo" \
                and (children[0].text or "") in _WITH_LIMITS:
            # Limits under lim, max, sum in display; movablelimits keeps them beside in text.
            parent.tag = _q(_SCRIPTS[_tag(parent)])
            children[0].set("movablelimits", "true")
            scripted = True
        if _tag(parent) == "msup" and len(children) == 2 and (children[1].text or "") in _PRIMES:
            # The font's prime is already raised; as a superscript it would float above.
            parent.tag = _q("mrow")
            children[1].tag = _q("mo")
            children[1].set("lspace", "0")
            children[1].set("rspace", "0")
        for k in reversed(range(len(children))):
            child, text = children[k], children[k].text or ""
            if _tag(child) in _SCRIPTED_FUNCTION and len(child) and _tag(child[0]) == "mi":
                text = child[0].text or ""     # tanh^2 z: the space goes after the script
            if _tag(child) in ("mi", *_SCRIPTED_FUNCTION) and len(text) > 1 and text.isalpha() \
                    and k + 1 < len(children) and _tag(parent) not in _ARGUMENTS \
                    and (_first_leaf(children[k + 1]).text or "") not in _OPENERS:
                parent.insert(k + 1, ET.Element(_q("mspace"), width="0.1667em"))   # "tanh z"
            if _tag(child) != "mo":
                continue
            if len(text) > 1 and text.isalpha() and not (scripted and k == 0):
                # diag, softmax: an identifier applied to its argument, not a spaced operator
                child.tag = _q("mi")
                apply = ET.Element(_q("mo"))
                apply.text = "\u2061"
                parent.insert(k + 1, apply)
            elif text in ("\u221e", "\u2202"):        # infinity, partial: ordinary symbols
                child.tag = _q("mi")
                child.set("mathvariant", "normal")
            elif text in ("/", "|", "\u2016"):      # ordinary symbols in TeX: |w| <= 1, a/b
                child.set("lspace", "0")
                child.set("rspace", "0")
            if text in _CLOSERS and k and _leans_right(children[k - 1]):
                # TeX adds an italic letter's italic correction before a closing fence; a
                # browser does not, so the bracket of E[P] would touch the P.
                child.set("lspace", _ITALIC_CORRECTION)
            elif text in ("\u2212", "+", "\u00b1"):
                before = children[k - 1] if k else None
                if before is None or (_tag(before) == "mo" and (before.text or "") not in _CLOSERS):
                    child.set("form", "prefix")    # a sign, not a binary operator: "= -1"


_RELATION_COMMANDS = ("le", "leq", "ge", "geq", "ne", "neq", "approx", "equiv", "to", "in", "subseteq")
_BINARY_COMMANDS = ("pm", "mp")
_TOKEN = re.compile(r"\\[a-zA-Z]+|\\.|.", re.S)


def split_display(tex: str) -> list[str]:
    r"""A display cut after each top-level relation and + or - between terms, so a browser can
    wrap a long line there (MathML has no line breaking of its own). Nothing inside braces,
    \left...\right, parentheses or an environment is cut; a leading or unary sign stays.

    >>> split_display(r"\frac{a}{b} = x + y_{i+1} - (u - v)")
    ['\\frac{a}{b} =', ' x +', ' y_{i+1} -', ' (u - v)']
    """
    pieces, start, depth, previous = [], 0, 0, None
    for match in _TOKEN.finditer(tex):
        token = match.group()
        if token.isspace():
            continue
        name = token[1:] if token.startswith("\\") else None
        if token in ("{", "(", "[") or name in ("left", "begin", "{", "lfloor", "lceil", "langle"):
            depth += 1
        elif token in ("}", ")", "]") or name in ("right", "end", "}", "rfloor", "rceil", "rangle"):
            depth -= 1
        elif depth == 0 and previous is not None:
            relation = token in ("=", "<", ">") or name in _RELATION_COMMANDS
            binary = (token in ("+", "-") or name in _BINARY_COMMANDS) and not _is_operator(previous)
            if relation or binary:
                pieces.append(tex[start:match.end()])
                start = match.end()
        previous = token
    pieces.append(tex[start:])
    return [p for p in pieces if p.strip()]


def _is_operator(token: str) -> bool:
    """After these a + or - is a sign, not a binary operator."""
    return token in ("=", "<", ">", "+", "-", ",", "&", "^", "_") or \
        (token.startswith("\\") and token[1:] in (*_RELATION_COMMANDS, *_BINARY_COMMANDS, "cdot", "times", "quad", ","))


def display_mathml(tex: str) -> str | None:
    """A display as a run of MathML elements, one per piece of :func:`split_display`, so the
    page wraps a long line between terms instead of clipping it; None when latex2mathml cannot
    read it. Each piece but the last ends with its operator, spaced as between terms."""
    pieces = split_display(tex)
    out = []
    for n, piece in enumerate(pieces):
        math = to_mathml(piece, display=True)
        if math is None:
            return to_mathml(tex, display=True) if len(pieces) > 1 else None
        if n + 1 < len(pieces):
            root = ET.fromstring(math)
            last = root
            while len(last) and _tag(last) in ("math", "mrow"):
                last = last[-1]
            if _tag(last) == "mo":
                last.set("form", "infix")   # last in its row it would be a postfix, unspaced
            math = ET.tostring(root, encoding="unicode")
        out.append(math)
    return "".join(out)


def to_mathml(tex: str, display: bool = False) -> str | None:
    """MathML for ``tex``, or None when latex2mathml cannot read it."""
    try:
        out = convert(_compatible(tex), display="block" if display else "inline")
        root = ET.fromstring(out)
    except Exception:  # latex2mathml raises bare exceptions on LaTeX it does not know
        return None
    _tidy(root)
    return ET.tostring(root, encoding="unicode")
