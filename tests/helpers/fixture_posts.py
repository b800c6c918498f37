"""Five stories over two days, for the scheduled-run and crash-safety tests.

Each story has its own vocabulary, so the FakeEmbedder (bag of words) and the TF-IDF half
of the clusterer both keep the stories apart. Story "rates" only starts on day 2; story
"transfer" ends early on day 1 (dormant by the end of day 2 with a 6 h dormancy).
Shared by the test modules and by ``run_update.py`` (run in a subprocess).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storythreads.types import Post

DAY1 = datetime(2024, 3, 4, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)

# (story, day, hour, minute, title, body)
_ROWS = [
    # -- quake: day 1 and day 2 ------------------------------------------------------
    ("quake", 1, 6, 10, "Magnitude 6.8 earthquake strikes Izmir",
     ("A magnitude 6.8 earthquake struck Izmir before dawn. Buildings collapsed and rescue "
      "teams rushed to the rubble in Bayrakli.")),
    ("quake", 1, 8, 40, "Izmir rescue teams dig through rubble",
     ("Rescue crews in Izmir dig through collapsed apartment rubble after the earthquake, "
      "searching for survivors trapped in Bayrakli.")),
    ("quake", 1, 13, 5, "Aftershocks rattle Izmir after earthquake",
     ("Strong aftershocks of magnitude 5 shook Izmir as rescue workers searched the earthquake "
      "rubble; seismologists warn of more tremors.")),
    ("quake", 1, 19, 30, "Survivor pulled from Izmir rubble",
     ("Rescuers pulled a survivor from earthquake rubble in Bayrakli, Izmir, thirty hours "
      "after the magnitude 6.8 quake.")),
    ("quake", 1, 22, 0, "Night shelters open for Izmir earthquake survivors",
     ("Officials in Izmir open school gyms as shelters for earthquake survivors afraid of "
      "aftershocks; rescue work in the Bayrakli rubble goes on through the night.")),
    ("quake", 2, 7, 15, "Izmir earthquake death toll rises",
     ("The death toll of the Izmir earthquake rose overnight as rescue teams cleared more "
      "collapsed buildings and rubble in Bayrakli.")),
    ("quake", 2, 11, 45, "Tents for Izmir earthquake survivors",
     ("Earthquake survivors in Izmir sleep in tents; rescue and relief crews hand out blankets "
      "near the Bayrakli rubble.")),
    ("quake", 2, 16, 20, "Izmir quake rescue search winds down",
     ("Rescue teams in Izmir end the search of earthquake rubble in Bayrakli; seismologists "
      "record fewer aftershocks after the magnitude 6.8 quake.")),
    # -- election: day 1 and day 2 -----------------------------------------------------
    ("vote", 1, 7, 0, "Polls open in Valdoria presidential election",
     ("Voters in Valdoria queue to cast ballots in the presidential election; candidate "
      "Marisol Ortega leads the polls.")),
    ("vote", 1, 10, 30, "Valdoria election turnout high at noon",
     ("Election officials in Valdoria report high turnout as ballots pile up; candidate "
      "Ortega and rival Tomas Brenner vote in the capital.")),
    ("vote", 1, 15, 50, "Valdoria ballots counted after polls close",
     ("Polls closed in the Valdoria election and officials began counting ballots; turnout "
      "reached record levels, candidate Brenner says.")),
    ("vote", 1, 21, 10, "Ortega leads early Valdoria election count",
     ("Early ballot counts in the Valdoria presidential election show candidate Ortega ahead "
      "of Brenner; turnout topped 70 percent.")),
    ("vote", 2, 8, 5, "Brenner concedes Valdoria election",
     ("Candidate Tomas Brenner concedes the Valdoria presidential election as the ballot count "
      "gives Ortega a clear win.")),
    ("vote", 2, 12, 30, "Ortega declares victory in Valdoria vote",
     ("Marisol Ortega declares victory in the Valdoria presidential election, thanking voters "
      "for record turnout at the ballots.")),
    ("vote", 2, 17, 40, "Valdoria election observers report fair ballots",
     ("International observers say the Valdoria election ballots were counted fairly; "
      "turnout and candidate Ortega's margin confirmed.")),
    ("vote", 2, 20, 0, "Valdoria parliament sets Ortega inauguration date",
     ("Valdoria's parliament set the inauguration of president-elect Ortega for next month "
      "after the election commission certified the ballots and turnout.")),
    # -- wildfire: day 1 and day 2 -----------------------------------------------------
    ("fire", 1, 9, 15, "Wildfire spreads in Sierra Morena hills",
     ("A wildfire fanned by wind spreads through pine forest in the Sierra Morena; "
      "firefighters and water bombers battle the flames.")),
    ("fire", 1, 11, 30, "Water bombers join Sierra Morena wildfire fight",
     ("Six water bombers join firefighters on the Sierra Morena wildfire as flames jump a "
      "firebreak in the pine forest near the hills.")),
    ("fire", 1, 14, 20, "Villages evacuated as Sierra Morena wildfire grows",
     ("Firefighters evacuate villages as the Sierra Morena wildfire burns pine forest; "
      "water bombers drop retardant on the flames.")),
    ("fire", 1, 20, 45, "Sierra Morena fire burns 5,000 hectares",
     ("The Sierra Morena wildfire has burned 5,000 hectares of pine forest; firefighters "
      "say wind keeps the flames alive.")),
    ("fire", 2, 9, 30, "Firefighters contain part of Sierra Morena wildfire",
     ("Firefighters contained the western flank of the Sierra Morena wildfire overnight; "
      "water bombers resume flights over burned pine forest.")),
    ("fire", 2, 14, 10, "Evacuees return as Sierra Morena flames ease",
     ("Evacuated villagers return home as the Sierra Morena wildfire flames ease; "
      "firefighters stay on watch for wind shifts.")),
    ("fire", 2, 19, 55, "Sierra Morena wildfire fully contained",
     ("Firefighters declare the Sierra Morena wildfire contained after burning 6,000 hectares "
      "of pine forest; investigators study the cause.")),
    # -- football transfer: early day 1 only -------------------------------------------
    ("transfer", 1, 5, 0, "Striker Kovacic transfer talks with Rovers",
     ("Football club Rovers open transfer talks for striker Luka Kovacic; the fee could "
      "break the club record.")),
    ("transfer", 1, 6, 30, "Rovers agree record fee for Kovacic",
     ("Rovers agree a record transfer fee with the striker's club; Kovacic flies in for a "
      "medical before signing his football contract.")),
    ("transfer", 1, 8, 0, "Kovacic signs five-year contract at Rovers",
     ("Striker Luka Kovacic signs a five-year football contract at Rovers after the record "
      "transfer fee; fans greet him at the stadium.")),
    ("transfer", 1, 9, 45, "Kovacic shirt sales soar at Rovers",
     ("Rovers fans snap up Kovacic shirts after the striker's record transfer; the football "
      "club shop sold out before noon.")),
    # -- interest rates: day 2 only ----------------------------------------------------
    ("rates", 2, 6, 0, "Central bank raises interest rates to fight inflation",
     ("The central bank raised its benchmark interest rate by half a point to curb inflation; "
      "mortgage costs will climb.")),
    ("rates", 2, 10, 0, "Markets slide after central bank rate hike",
     ("Stock markets fell after the central bank interest rate hike; bond yields rose as "
      "traders priced more inflation tightening.")),
    ("rates", 2, 13, 15, "Mortgage holders feel central bank rate rise",
     ("Mortgage holders face higher monthly payments after the central bank lifted interest "
      "rates; inflation remains above target.")),
    ("rates", 2, 18, 30, "Central bank governor defends interest rate hike",
     ("The central bank governor defended the interest rate hike, saying inflation must fall "
      "before rates are cut and mortgage relief comes.")),
    ("rates", 2, 21, 0, "Economists expect more central bank rate hikes",
     ("Economists expect further central bank interest rate hikes this year as inflation "
      "data surprise; mortgage lenders reprice loans.")),
]  # fmt: skip

# A late day-2 post that brings the transfer story back (dormant -> revived).
REVIVAL = ("transfer", 2, 22, 0, "Kovacic scores on Rovers debut",
           ("Record transfer striker Luka Kovacic scores twice on his Rovers football debut; "
            "the stadium sings his name."))  # fmt: skip


def _post(index: int, row) -> Post:
    story, day, hour, minute, title, body = row
    published = (DAY1 if day == 1 else DAY2).replace(hour=hour, minute=minute)
    return Post(
        id=f"{story}-{index:02d}",
        source="Test Wire",
        url=f"https://example.com/{story}/{index}",
        published=published,
        title=title,
        byline="Staff",
        body=body,
    )


def _build() -> tuple[Post, ...]:
    counters: dict[str, int] = {}
    out = []
    for row in _ROWS:
        counters[row[0]] = counters.get(row[0], 0) + 1
        out.append(_post(counters[row[0]], row))
    return tuple(sorted(out, key=lambda p: p.sort_key))


POSTS: tuple[Post, ...] = _build()
DAY1_POSTS = tuple(p for p in POSTS if p.published < DAY2)
DAY2_POSTS = tuple(p for p in POSTS if p.published >= DAY2)
REVIVAL_POST = _post(99, REVIVAL)
STORIES = {p.id.split("-")[0] for p in POSTS}


def story_of(post_id: str) -> str:
    return post_id.split("-")[0]


def intended_partition(posts=POSTS) -> set[frozenset[str]]:
    """The stories as sets of post ids: what a correct threading gives."""
    groups: dict[str, set[str]] = {}
    for p in posts:
        groups.setdefault(story_of(p.id), set()).add(p.id)
    return {frozenset(g) for g in groups.values()}


# The same subjects come back weeks later as new events: the Izmir quake's rebuilding four
# weeks on, the Valdoria president's inauguration three weeks on.
_LATER = [
    ("quakelater", 29, 9, "Izmir earthquake rebuilding begins in Bayrakli",
     ("Four weeks after the magnitude 6.8 earthquake, Izmir starts rebuilding collapsed "
     "apartment blocks in Bayrakli; survivors leave the tents.")),
    ("quakelater", 29, 15, "Izmir earthquake survivors move to new homes",
     ("Izmir earthquake survivors from Bayrakli move from tents into prefabricated homes as "
     "rebuilding of the rubble sites begins.")),
    ("quakelater", 30, 10, "Izmir earthquake rebuilding fund approved",
     ("Parliament approves a rebuilding fund for Izmir; the Bayrakli earthquake survivors get "
     "new homes within a year.")),
    ("votelater", 22, 11, "Ortega inaugurated as Valdoria president",
     ("Marisol Ortega is inaugurated as Valdoria president three weeks after her election win "
     "over Brenner; she promises record turnout at the next ballots.")),
    ("votelater", 22, 16, "Valdoria president Ortega names cabinet",
     ("Valdoria's new president Marisol Ortega names her cabinet after the inauguration; "
     "rival Brenner's party stays in opposition after the election.")),
]  # fmt: skip


def _later_posts() -> list[Post]:
    out = []
    for i, (story, day, hour, title, body) in enumerate(_LATER):
        out.append(
            Post(
                id=f"{story}-{i:02d}",
                source="Test Wire",
                url=None,
                published=DAY1 + timedelta(days=day - 1, hours=hour),
                title=title,
                byline=None,
                body=body,
            )
        )
    return out


# Several weeks: the two days of POSTS, then the Valdoria and Izmir subjects back as new
# events three and four weeks on (tests/test_time_threads.py, the browser test)
WEEKS_FEED = tuple(sorted([*POSTS, *_later_posts()], key=lambda p: p.sort_key))


def write_posts_jsonl(path, posts):
    """``posts`` as a JSONL input file at ``path`` (what `storythreads run` reads); returns it."""
    import json

    rows = [
        {"id": p.id, "source": p.source, "url": p.url, "published": p.published.isoformat(),
         "title": p.title, "byline": p.byline, "body": p.body}
        for p in posts
    ]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def many_outlets(n_outlets: int = 30) -> list[dict]:
    """Two stories, each told by every one of ``n_outlets`` outlets (left-00 ...,
    right-00 ...) in one article."""
    quake = "earthquake Izmir rescuers rubble magnitude aftershock survivors"
    vote = "election Valdoria ballots turnout candidate parliament count"
    rows = []
    for k in range(n_outlets):
        outlet = f"{'left' if k % 2 else 'right'}-{k:02d}"
        for story, words in (("quake", quake), ("vote", vote)):
            rows.append({"id": f"{outlet}-{story}", "source": outlet,
                         "published": f"2024-03-0{4 + k % 3}T0{k % 9}:00:00Z",
                         "title": f"{story} report {k}", "text": f"{words} {words}."})  # fmt: skip
    return rows
