"""Made-up data for the demo (`flask seed-demo`) and the benchmarks (`flask bench-data`).

Above every feature: it fills the tables through their services and models, and no feature
imports it (tests/test_import_graph.py holds that); bench/ builds on it. Its commands are added
by create_app (app.register_cli -> demo.cli.register).
- demo.people: the missions, units, peacekeepers and one account per role;
- demo.course: the shipped course imported and required in every peacekeeping mission;
- demo.history: studied lessons, attempts, completions and certificates, so dashboards show truth;
- demo.plans: how far a made-up peacekeeper got (the recipe shared with the benchmark data);
- demo.bench_data: the benchmark's 100,000 people.
"""
