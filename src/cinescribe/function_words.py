"""English function words and pronouns: the one list, for every stage that tells content words apart.

:data:`STOP_WORDS` (articles, prepositions, conjunctions, auxiliaries, common particles) and
:data:`PRONOUNS` are never distinctive words of an AD (DistinctAD eq. 12 filters "prepositions
and pronouns"), never end an AD cut to its word budget, and are never content words in evaluation.
"""

from __future__ import annotations

STOP_WORDS = frozenset("""
a an the and or but nor so yet if then than as of at by for from in into onto on off out over
under up down to with without within about above across after against along among around
before behind below beneath beside between beyond during except inside near through toward towards
upon via while is am are was were be been being has have had having do does did doing done will
would shall should can could may might must not no just very too also still there here this that
these those what which who whom whose when where why how all any both each few more most other
some such only own same another s t don now again once further
""".split())
PRONOUNS = frozenset("""
i me my mine myself you your yours yourself yourselves he him his himself she her hers herself
it its itself we us our ours ourselves they them their theirs themselves one someone somebody
something everyone everybody everything anyone anything nobody nothing
""".split())
