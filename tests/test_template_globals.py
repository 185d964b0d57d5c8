"""app.TemplateEnvironment: templates read the environment's globals directly, and a template
loaded with globals of its own keeps them to itself."""

from __future__ import annotations


def test_templates_share_the_environments_globals_and_own_globals_stay_their_own(app):
    env = app.jinja_env
    page = env.get_template("base.html")
    assert page.globals is env.globals
    own = env.from_string("{{ only_here }} {{ range(2)|list }}", globals={"only_here": "mine"})
    assert own.render() == "mine [0, 1]"
    assert "only_here" not in env.globals
    assert env.from_string("{{ only_here is defined }}").render() == "False"
