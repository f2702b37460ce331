"""Guard tests of shipped configuration documents."""

from __future__ import annotations

import yaml

from tests.conftest import REPO


def test_automations_file_validates_against_prefect_models() -> None:
    """docs/automations.yaml parses into Prefect automations watching the poll-feeds flow."""
    from prefect.automations import Automation

    data = yaml.safe_load((REPO / "docs" / "automations.yaml").read_text())
    automations = [Automation.model_validate(entry) for entry in data["automations"]]
    postures = {a.name: a.trigger.posture for a in automations}  # type: ignore[union-attr]
    assert postures == {"capex poll-feeds stopped": "Proactive", "capex poll-feeds failed": "Reactive"}
    for automation in automations:
        assert automation.trigger.match_related["prefect.resource.name"] in ("poll-feeds", ["poll-feeds"])  # type: ignore[union-attr,index]
        assert automation.actions[0].type == "send-notification"
