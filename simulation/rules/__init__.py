"""The decision rules: pure functions over arrays with a leading run dimension.

Both the Mesa model (one run, B = 1) and the batch engine (many runs) call these and
nothing else to move the state, so the two cannot drift apart.

Modules, in the order a step applies them:
- ``environment``: perceived threat and trade after pressure, events and feedback;
- ``utility``: the utility terms behind each actor's desire to align with each partner;
- ``consent``: intents from desire and ladder thresholds, and bilateral consent;
- ``events``: random events;
- ``step``: one step composed from the above.
"""
