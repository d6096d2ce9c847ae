#!/usr/bin/env python3
"""
reference.py - a second, deliberately simple implementation of the spec
semantics (SEMANTICS.md part 1), used to work out the expected values of the
C unit tests independently of the engine in src/spec.

It shares no code and no algorithm with the engine.  The engine jumps field by
field; this walks local calendar dates one by one up to 2100-12-31, lists the
matching wall-clock times of each matching date, and converts every wall time
to UTC with Python's zoneinfo (fold=0 and fold=1): a wall time whose round
trip does not come back is in a DST gap and does not fire; one with two
distinct instants is in an overlap and fires twice.  Interval instants come
from the closed formula of SEMANTICS.md 1.3.  All candidates are merged in
order, identical instants collapse, skip matches are dropped, bounds apply.

Standard library only.  Usage:

  python3 test/unit/reference.py FILE...          fill "expect: ?" placeholders
  python3 test/unit/reference.py --fill FILE...   recompute every expectation
  python3 test/unit/reference.py --check FILE...  verify, change nothing
  python3 test/unit/reference.py --vectors /work/shared/spec-vectors-sample.json

The case file format is described at the top of test/unit/cases.txt.
"""

import datetime as dt
import heapq
import json
import re
import sys
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.timezone.utc
EPOCH = dt.datetime(1970, 1, 1)
MAX_EXCLUSIONS = 100000          # as SPEC_MAX_EXCLUSIONS in spec.h
LAST_DAY = dt.date(2100, 12, 31)

FIELDS = ["second", "minute", "hour", "day_of_month", "month",
          "day_of_week", "year"]
FMIN = {"second": 0, "minute": 0, "hour": 0, "day_of_month": 1,
        "month": 1, "day_of_week": 0, "year": 2000}
FMAX = {"second": 59, "minute": 59, "hour": 23, "day_of_month": 31,
        "month": 12, "day_of_week": 6, "year": 2100}
MONTH_NAMES = ["january", "february", "march", "april", "may", "june",
               "july", "august", "september", "october", "november",
               "december"]
DAY_NAMES = ["sunday", "monday", "tuesday", "wednesday", "thursday",
             "friday", "saturday"]


class SpecErr(Exception):
    def __init__(self, message, position=0):
        super().__init__(message)
        self.message = message
        self.position = position


# ---------------------------------------------------------------- fields

def resolve_name(field, word, pos):
    """A month (3+ letters) or day (2+ letters) name prefix, or an error."""
    low = word.lower()
    if field == "month":
        names, minlen, base = MONTH_NAMES, 3, 1
    elif field == "day_of_week":
        names, minlen, base = DAY_NAMES, 2, 0
    else:
        names, minlen, base = [], 99, 0
    if len(low) >= minlen:
        hits = [i for i, n in enumerate(names) if n.startswith(low)]
        if len(hits) == 1:
            return hits[0] + base
    raise SpecErr('unknown name "%s" in the %s field' % (word, field), pos)


def parse_value(field, tok, pos):
    """One number or name of an element; pos is its 1-based position."""
    if tok == "":
        raise SpecErr("missing value in the %s field" % field, pos)
    if tok.isdigit():
        v = int(tok)
    elif tok.isalpha() and tok.upper() not in ("L", "W", "H", "LW"):
        v = resolve_name(field, tok, pos)
    elif re.fullmatch(r"\d*[LlWw]|[Hh]|LW", tok):
        raise SpecErr('"%s" is not supported in the %s field' % (tok, field),
                      pos)
    else:
        raise SpecErr('invalid value "%s" in the %s field' % (tok, field), pos)
    hi = 7 if field == "day_of_week" else FMAX[field]
    if v < FMIN[field] or v > hi:
        raise SpecErr("value %d out of range %d-%d in the %s field"
                      % (v, FMIN[field], hi, field), pos)
    return v


def relative_element(field, elem, epos):
    """The relative day forms: "L", "L-n" (day_of_month; ("L", k) = the k-th
    day from the end), "dL", "DDDL", "d#n" (day_of_week; ("nth", n, wd),
    n = -1 for the last).  None when elem is none of them."""
    if field == "day_of_month":
        m = re.fullmatch(r"[Ll](?:-(\d+))?", elem)
        if not m:
            return None
        n = int(m.group(1) or 0)
        if n > 30:
            raise SpecErr('value %d out of range 0-30 after "L-" in the '
                          'day_of_month field' % n, epos + 2)
        return ("L", n + 1)
    if field == "day_of_week":
        m = re.fullmatch(r"(\d+|[A-Za-z]+?)(?:([Ll])|#(\d+))", elem)
        if not m:
            return None
        wd = parse_value(field, m.group(1), epos) % 7
        if m.group(2):
            return ("nth", -1, wd)
        n = int(m.group(3))
        if n < 1 or n > 5:
            raise SpecErr('value %d out of range 1-5 after "#" in the '
                          'day_of_week field' % n, epos)
        return ("nth", n, wd)
    return None


def parse_field(field, text, pos_base=0):
    """Cron field syntax -> set of values.  Positions are 1-based + pos_base."""
    values = set()
    start = 0
    for elem in text.split(","):
        epos = pos_base + start + 1
        start += len(elem) + 1
        if elem == "":
            raise SpecErr("empty element in the %s field" % field, epos)
        rel = relative_element(field, elem, epos)
        if rel is not None:
            values.add(rel)
            continue
        if "#" in elem:
            raise SpecErr('"#" (the n-th weekday) is only allowed in the '
                          'day_of_week field', epos)
        if "?" in elem:
            raise SpecErr('"?" is not supported in the %s field' % field, epos)
        if elem.count("/") > 1:
            raise SpecErr('more than one "/" in "%s" in the %s field'
                          % (elem, field), epos)
        rng, _, steptxt = elem.partition("/")
        step = 1
        if "/" in elem:
            spos = epos + len(rng) + 1
            if not steptxt.isdigit():
                raise SpecErr('step "%s" is not an integer in the %s field'
                              % (steptxt, field), spos)
            step = int(steptxt)
            if step < 1:
                raise SpecErr("step must be at least 1 in the %s field"
                              % field, spos)
        hi = FMAX[field]
        if rng == "*":
            lo = FMIN[field]
        elif rng.count("-") > 1:
            raise SpecErr('more than one "-" in "%s" in the %s field'
                          % (elem, field), epos)
        elif "-" in rng:
            a, _, b = rng.partition("-")
            lo = parse_value(field, a, epos)
            hi = parse_value(field, b, epos + len(a) + 1)
            if hi < lo:
                raise SpecErr("range end %d is before start %d in the %s field"
                              % (hi, lo, field), epos)
        else:
            lo = parse_value(field, rng, epos)
            if "/" not in elem:
                hi = lo
        for v in range(lo, hi + 1, step):
            values.add(0 if (field == "day_of_week" and v == 7) else v)
    return values


class Calendar:
    def __init__(self):
        # defaults: second, minute, hour = 0; the day fields all; year any
        self.f = {"second": {0}, "minute": {0}, "hour": {0},
                  "day_of_month": set(range(1, 32)),
                  "month": set(range(1, 13)),
                  "day_of_week": set(range(7)), "year": None}
        self.comment = ""

    def set_field(self, field, values):
        if field == "year" and values == set(range(2000, 2101)):
            values = None       # all years: "any"
        self.f[field] = values

    def date_matches(self, d):
        years = self.f["year"]
        nxt = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        dim = (nxt - dt.timedelta(days=1)).day
        wd = d.isoweekday() % 7
        dom = self.f["day_of_month"]
        dow = self.f["day_of_week"]
        return ((years is None or d.year in years)
                and d.month in self.f["month"]
                and (d.day in dom or ("L", dim + 1 - d.day) in dom)
                and (wd in dow or ("nth", (d.day - 1) // 7 + 1, wd) in dow
                     or ("nth", -((dim - d.day) // 7 + 1), wd) in dow))

    def matches(self, wall):
        return (self.date_matches(wall.date()) and wall.hour in self.f["hour"]
                and wall.minute in self.f["minute"]
                and wall.second in self.f["second"])


# ---------------------------------------------------------------- cron

def parse_go_duration(text, pos):
    """Go-style duration -> seconds (must be whole seconds)."""
    units = {"ns": 1e-9, "us": 1e-6, "\u00b5s": 1e-6, "ms": 1e-3, "s": 1,
             "m": 60, "h": 3600, "d": 86400}
    if text == "0":
        return 0
    parts = re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|ms|s|m|h|d)", text)
    if not parts or "".join(a + b for a, b in parts) != text:
        raise SpecErr('invalid duration "%s"' % text, pos)
    total = sum(float(a) * units[b] for a, b in parts)
    if total != int(total):
        raise SpecErr('duration "%s" is not a whole number of seconds' % text,
                      pos)
    return int(total)


def check_interval(every, offset):
    if every < 1:
        raise SpecErr("interval must be at least 1 second")
    if offset < 0 or offset >= every:
        raise SpecErr("interval offset must be less than the interval")


def parse_cron(s):
    """One cron string -> ("calendar", Calendar, tz) or ("interval", (e, o), tz)."""
    i, n = 0, len(s)
    while i < n and s[i].isspace():
        i += 1
    tz = ""
    m = re.compile(r"(CRON_TZ|TZ)=(\S*)").match(s, i)
    if m:
        tz = m.group(2)
        i = m.end()
    # the body ends at a '#' preceded by white space (a comment)
    body_end = n
    comment = ""
    cm = re.compile(r"\s#").search(s, i)
    if cm:
        body_end = cm.start()
        comment = s[cm.end():].strip()
    tokens = [(t.group(), t.start() + 1)
              for t in re.compile(r"\S+").finditer(s, i, body_end)]
    if tokens and tokens[0][0].startswith("@"):
        word, wpos = tokens[0]
        if word == "@every":
            if len(tokens) != 2:
                raise SpecErr("@every needs a duration, as in \"@every 90m\"",
                              wpos)
            dur, dpos = tokens[1]
            every_t, _, off_t = dur.partition("/")
            every = parse_go_duration(every_t, dpos)
            offset = parse_go_duration(off_t, dpos + len(every_t) + 1) \
                if "/" in dur else 0
            check_interval(every, offset)
            return ("interval", (every, offset), tz)
        short = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
                 "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
                 "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
                 "@hourly": "0 * * * *"}
        if word not in short or len(tokens) != 1:
            raise SpecErr('unknown shorthand "%s"' % word, wpos)
        tokens = [(t, wpos) for t in short[word].split()]
    if len(tokens) < 5 or len(tokens) > 7:
        raise SpecErr("expected 5 to 7 fields, found %d" % len(tokens),
                      tokens[0][1] if tokens else 0)
    names = {5: FIELDS[1:6], 6: FIELDS[1:7], 7: FIELDS}[len(tokens)]
    cal = Calendar()
    for (text, pos), field in zip(tokens, names):
        cal.set_field(field, parse_field(field, text, pos - 1))
    cal.comment = comment
    return ("calendar", cal, tz)


# ---------------------------------------------------------------- zones

def load_zone(name):
    if name in ("", "UTC"):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SpecErr('unknown time zone "%s"' % name)


def to_local(t, zone):
    u = EPOCH + dt.timedelta(seconds=t)
    if zone is None:
        return u
    return u.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def wall_to_instants(wall, zone):
    """Every UTC instant whose wall clock reads `wall`: 0 (gap), 1 or 2."""
    if zone is None:
        return [int((wall - EPOCH).total_seconds())]
    out = set()
    for fold in (0, 1):
        u = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if u.astimezone(zone).replace(tzinfo=None) == wall:
            out.add(int((u.replace(tzinfo=None) - EPOCH).total_seconds()))
    return sorted(out)


# ---------------------------------------------------------------- search

def first_after_gap(wall, zone):
    """The first instant whose wall clock is past `wall` (in a gap)."""
    u = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    hi = int((u.replace(tzinfo=None) - EPOCH).total_seconds())
    lo = hi - 30 * 3600
    while hi - lo > 1:          # to_local(lo) <= wall < to_local(hi)
        mid = (lo + hi) // 2
        if to_local(mid, zone) > wall:
            hi = mid
        else:
            lo = mid
    return hi


def policy_instants(wall, zone, dst):
    """The instants a matching wall time fires at under a DST policy."""
    ts = wall_to_instants(wall, zone)
    repeated, skipped = dst
    if len(ts) > 1 and repeated == "first":
        return ts[:1]
    if len(ts) > 1 and repeated == "second":
        return ts[-1:]
    if not ts and skipped == "next_valid":
        return [first_after_gap(wall, zone)]
    return ts


def calendar_instants(cal, zone, base, dst=("both", "skip")):
    """All instants > base that cal matches, ascending, up to 2100."""
    day = to_local(base, zone).date() - dt.timedelta(days=1)
    heap = []
    times = [(h, m, s) for h in sorted(cal.f["hour"])
             for m in sorted(cal.f["minute"]) for s in sorted(cal.f["second"])]
    while day <= LAST_DAY:
        if cal.date_matches(day):
            for h, m, s in times:
                wall = dt.datetime(day.year, day.month, day.day, h, m, s)
                for t in policy_instants(wall, zone, dst):
                    if t > base:
                        heapq.heappush(heap, t)
        # any instant of a later local date is >= its midnight - 14 h
        nxt = dt.datetime.combine(day + dt.timedelta(days=1), dt.time())
        floor = int((nxt - EPOCH).total_seconds()) - 14 * 3600
        while heap and heap[0] < floor:
            yield heapq.heappop(heap)
        day += dt.timedelta(days=1)
    while heap:
        yield heapq.heappop(heap)


def interval_instants(every, offset, base):
    t = ((base - offset) // every + 1) * every + offset
    while True:
        yield t
        t += every


class Spec:
    def __init__(self):
        self.calendars = []
        self.intervals = []
        self.skip = []
        self.zone = None
        self.start = None
        self.end = None
        self.dst = ("both", "skip")


def next_times(spec, after):
    """Generator of the spec's times after `after`; raises SpecErr."""
    base = after if spec.start is None else max(after, spec.start - 1)
    parts = [calendar_instants(c, spec.zone, base, spec.dst)
             for c in spec.calendars]
    parts += [interval_instants(e, o, base) for e, o in spec.intervals]
    last = None
    excluded = 0
    for t in heapq.merge(*parts):
        if t == last:
            continue            # identical instants collapse
        last = t
        if spec.end is not None and t > spec.end:
            return
        wall = to_local(t, spec.zone)
        if wall.year > 2100:
            return
        if any(s.matches(wall) for s in spec.skip):
            excluded += 1
            if excluded > MAX_EXCLUSIONS:
                raise SpecErr("too many exclusions")
            continue
        excluded = 0
        yield t


# ---------------------------------------------------------------- text

def parse_instant(s):
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.\d+)?"
                     r"(Z|[+-]\d\d:\d\d)", s.strip())
    if not m:
        raise ValueError("bad instant %r" % s)
    y, mo, d, h, mi, se = (int(x) for x in m.groups()[:6])
    t = int((dt.datetime(y, mo, d, h, mi, se) - EPOCH).total_seconds())
    z = m.group(7)
    if z != "Z":
        off = int(z[1:3]) * 3600 + int(z[4:6]) * 60
        t -= off if z[0] == "+" else -off
    return t


def fmt_instant(t):
    return (EPOCH + dt.timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_cal_line(text):
    """"hour=5,7 minute=23" -> Calendar (field syntax via parse_field)."""
    cal = Calendar()
    for item in text.split():
        key, eq, val = item.partition("=")
        if not eq or key not in FIELDS:
            raise ValueError("bad calendar item %r" % item)
        cal.set_field(key, parse_field(key, val))
    return cal


def build_case_spec(case):
    """A case's Spec, as the C runner builds it; raises SpecErr."""
    spec = Spec()
    tzname = case.get("tz", [None])[0]
    for cron in case.get("cron", []):
        kind, val, ctz = parse_cron(cron)
        if kind == "interval":
            spec.intervals.append(val)
        else:
            spec.calendars.append(val)
        if tzname is None and ctz:
            tzname = ctz        # the runner's rule: a prefix sets the zone
    for c in case.get("cal", []):
        spec.calendars.append(parse_cal_line(c))
    for iv in case.get("interval", []):
        nums = [int(x) for x in iv.split()]
        every, offset = nums[0], (nums[1] if len(nums) > 1 else 0)
        check_interval(every, offset)
        spec.intervals.append((every, offset))
    for c in case.get("skip", []):
        spec.skip.append(parse_cal_line(c))
    if tzname:
        spec.zone = load_zone(tzname)
    if "start" in case:
        spec.start = parse_instant(case["start"][0])
    if "end" in case:
        spec.end = parse_instant(case["end"][0])
    if "dst" in case:
        rep, skp = case["dst"][0].split()
        spec.dst = (rep, skp)
    return spec


# ---------------------------------------------------------------- case files

KEYS = {"name", "tz", "cron", "cal", "interval", "skip", "start", "end", "dst",
        "after", "count", "expect", "error", "errpos", "nexterror"}


def read_cases(path):
    """-> list of blocks; a block is a list of lines (comments included)."""
    with open(path) as f:
        text = f.read()
    blocks, cur = [], []
    for line in text.split("\n"):
        if line.strip() == "":
            if cur:
                blocks.append(cur)
                cur = []
        else:
            cur.append(line)
    if cur:
        blocks.append(cur)
    return blocks


def block_case(block):
    case = {}
    for line in block:
        if line.startswith("#"):
            continue
        key, sep, val = line.partition(":")
        if not sep or key not in KEYS:
            raise ValueError("bad line %r" % line)
        case.setdefault(key, []).append(val.strip())
    return case


def compute(case, count):
    """-> (times, ended) or raises SpecErr: up to count times, and whether
    the sequence ends right after them (checked with one more step)."""
    spec = build_case_spec(case)
    gen = next_times(spec, parse_instant(case["after"][0]))
    times = []
    for t in gen:
        times.append(t)
        if len(times) > count:
            break
    ended = len(times) <= count
    return times[:count], ended


def expect_lines(times, ended, nexterr=None):
    words = [fmt_instant(t) for t in times]
    if ended and nexterr is None:
        words.append("none")
    if not words:
        return ["expect: none"]
    return ["expect: " + " ".join(words[i:i + 3])
            for i in range(0, len(words), 3)]


def check_case(case):
    """Returns a list of problems (empty when the file agrees with us)."""
    name = case.get("name", ["?"])[0]
    probs = []
    if "error" in case:
        try:
            build_case_spec(case)
            return ["%s: reference parses it, but error expected" % name]
        except SpecErr as e:
            for sub in case["error"]:
                if sub not in e.message:
                    probs.append("%s: error %r lacks %r" % (name, e.message,
                                                              sub))
            if "errpos" in case and int(case["errpos"][0]) != e.position:
                probs.append("%s: errpos %s, reference says %d"
                             % (name, case["errpos"][0], e.position))
            return probs
    words = " ".join(case.get("expect", [])).split()
    ended = bool(words) and words[-1] == "none"
    exp = [parse_instant(w) for w in (words[:-1] if ended else words)]
    count = int(case["count"][0]) if "count" in case else len(exp)
    if count != len(exp) and not ended:
        probs.append("%s: count %d but %d times listed" % (name, count,
                                                           len(exp)))
    spec = build_case_spec(case)
    gen = next_times(spec, parse_instant(case["after"][0]))
    got = []
    try:
        for t in gen:
            got.append(t)
            if len(got) >= len(exp) + (1 if ended else 0):
                break
    except SpecErr as e:
        if "nexterror" in case and len(got) == len(exp):
            for sub in case["nexterror"]:
                if sub not in e.message:
                    probs.append("%s: next error %r lacks %r"
                                 % (name, e.message, sub))
            return probs
        probs.append("%s: reference error %r" % (name, e.message))
        return probs
    if "nexterror" in case:
        probs.append("%s: reference gives no error after the times" % name)
    want_len = len(exp)
    if got[:want_len] != exp:
        probs.append("%s: file says %s, reference says %s"
                     % (name, [fmt_instant(t) for t in exp],
                        [fmt_instant(t) for t in got[:want_len]]))
    elif ended and len(got) > len(exp):
        probs.append("%s: file says none after %d times, reference has %s"
                     % (name, len(exp), fmt_instant(got[len(exp)])))
    return probs


def fill_block(block, refill):
    """Rewrites the expect lines of one block when asked to."""
    case = block_case(block)
    if "name" not in case:
        return block
    placeholder = case.get("expect") == ["?"]
    if not (placeholder or (refill and "expect" in case)):
        return block
    words = " ".join(case["expect"]).split()
    if "count" in case:
        count = int(case["count"][0])
    elif placeholder:
        count = 5
    else:
        count = len([w for w in words if w != "none"])
    try:
        times, ended = compute(case, count)
        new = expect_lines(times, ended)
    except SpecErr as e:
        new = ["error: " + e.message]
    out, done = [], False
    for line in block:
        if line.startswith("expect:"):
            if not done:
                out.extend(new)
                done = True
            continue
        out.append(line)
    return out


def run_files(paths, mode):
    problems = 0
    ncases = 0
    for path in paths:
        blocks = read_cases(path)
        if mode in ("fill", "placeholders"):
            blocks = [fill_block(b, mode == "fill") for b in blocks]
            with open(path, "w") as f:
                f.write("\n\n".join("\n".join(b) for b in blocks) + "\n")
        names = set()
        for b in blocks:
            case = block_case(b)
            if "name" not in case:
                continue
            ncases += 1
            name = case["name"][0]
            if name in names:
                print("%s: duplicate name %s" % (path, name))
                problems += 1
            names.add(name)
            for p in check_case(case):
                print("%s: %s" % (path, p))
                problems += 1
    print("%d cases, %d disagreements" % (ncases, problems))
    return 1 if problems else 0


# ---------------------------------------------------------------- vectors

def iso_duration(s):
    m = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", s)
    if not m:
        raise SpecErr("bad duration %r" % s)
    d, h, mi, se = (int(x or 0) for x in m.groups())
    return ((d * 24 + h) * 60 + mi) * 60 + se


def json_calendar(obj):
    cal = Calendar()
    for field in FIELDS:
        if field not in obj:
            continue
        val = obj[field]
        if isinstance(val, str):
            cal.set_field(field, parse_field(field, val))
            continue
        vals = set()
        for r in val:
            start = r.get("start", 0)
            end = r.get("end", start)
            step = r.get("step", 0)
            if end < start:
                end = start
            if step < 0:
                raise SpecErr("step must not be negative in the %s field"
                              % field)
            step = step or 1
            hi = 7 if field == "day_of_week" else FMAX[field]
            for v in (start, end):
                if v < FMIN[field] or v > hi:
                    raise SpecErr("value %d out of range in the %s field"
                                  % (v, field))
            for v in range(start, end + 1, step):
                vals.add(0 if field == "day_of_week" and v == 7 else v)
        cal.set_field(field, vals)
    return cal


def json_spec(obj):
    spec = Spec()
    crons = []
    for c in obj.get("cron_expressions", []):
        crons.append(parse_cron(c))
    # every calendar cron must carry the same prefix (or none at all), and
    # that prefix must agree with time_zone_name when both are given
    cal_zones = {ctz for kind, _, ctz in crons if kind == "calendar"}
    if len(cal_zones) > 1:
        raise SpecErr("conflicting time zone names")
    prefix = cal_zones.pop() if cal_zones else ""
    tzn = obj.get("time_zone_name", "")
    if tzn and prefix and tzn != prefix:
        raise SpecErr("conflicting time zone names")
    for kind, val, _ in crons:
        (spec.calendars if kind == "calendar" else spec.intervals).append(val)
    for c in obj.get("calendars", []):
        spec.calendars.append(json_calendar(c))
    for iv in obj.get("intervals", []):
        every = iso_duration(iv["every"])
        offset = iso_duration(iv["offset"]) if "offset" in iv else 0
        check_interval(every, offset)
        spec.intervals.append((every, offset))
    for c in obj.get("skip", []):
        spec.skip.append(json_calendar(c))
    spec.zone = load_zone(tzn or prefix)
    if "start_at" in obj:
        spec.start = parse_instant(obj["start_at"])
    if "end_at" in obj:
        spec.end = parse_instant(obj["end_at"])
    return spec


def run_vectors(path):
    with open(path) as f:
        vectors = json.load(f)
    bad = 0
    for v in vectors:
        try:
            spec = json_spec(v["spec"])
            got = []
            for t in next_times(spec, parse_instant(v["after"])):
                got.append(fmt_instant(t))
                if len(got) == len(v.get("expect", [])) + 1:
                    break
            if v.get("error"):
                ok, why = False, "no error, got %s" % got
            else:
                want = v["expect"]
                ok = got[:len(want)] == want
                why = "want %s got %s" % (want, got[:len(want)])
        except SpecErr as e:
            ok, why = bool(v.get("error")), "error %s" % e.message
        if not ok:
            bad += 1
            print("FAIL %s: %s" % (v["name"], why))
    print("%d vectors, %d passed, %d failed" % (len(vectors),
                                                len(vectors) - bad, bad))
    return 1 if bad else 0


def main(argv):
    mode = "placeholders"
    paths = []
    it = iter(argv)
    for a in it:
        if a == "--fill":
            mode = "fill"
        elif a == "--check":
            mode = "check"
        elif a == "--vectors":
            return run_vectors(next(it))
        else:
            paths.append(a)
    if not paths:
        paths = ["test/unit/cases.txt"]
    return run_files(paths, mode)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
