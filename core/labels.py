"""Translated labels for stored values: what the database holds ("after_each", "police") is never
shown as it is. One definition, read by views, forms and templates (`label(group, value)`).

Mission names: the UN's official French and Arabic names of the missions the demo and most
deployments use (from the missions' mandating resolutions as published in the three languages).
A mission not in the table, or one an admin renamed, shows its name as stored.
"""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

KIND_NAMES = {"peacekeeping": _l("Peacekeeping"), "political": _l("Political"), "peacebuilding": _l("Peacebuilding")}
CATEGORY_NAMES = {"military": _l("Military"), "police": _l("Police"), "civilian": _l("Civilian")}
ROLE_NAMES = {"learner": _l("Learner"), "trainer": _l("Trainer"), "mission_lead": _l("Mission lead"),
              "mission_trainer": _l("Mission trainer"), "hq": _l("HQ focal point"), "admin": _l("Administrator")}
REVIEW_MODE_NAMES = {"none": _l("Only the score"), "wrong": _l("Which questions were wrong"),
                     "feedback": _l("The right answers and the feedback")}
REVIEW_WHEN_NAMES = {"after_each": _l("After each attempt"), "after_pass": _l("Once the learner has passed"),
                     "after_last": _l("After the last attempt allowed (or a pass)")}

GROUPS = {"kind": KIND_NAMES, "category": CATEGORY_NAMES, "role": ROLE_NAMES, "review_mode": REVIEW_MODE_NAMES,
          "review_when": REVIEW_WHEN_NAMES}

# code -> (English name as seeded, French, Arabic)
MISSION_NAMES = {
    "MONUSCO": ("UN Organization Stabilization Mission in the DR Congo",
                "Mission de l’Organisation des Nations Unies pour la stabilisation en République démocratique du Congo",
                "بعثة منظمة الأمم المتحدة لتحقيق الاستقرار في جمهورية الكونغو الديمقراطية"),
    "UNMISS": ("UN Mission in South Sudan", "Mission des Nations Unies au Soudan du Sud",
               "بعثة الأمم المتحدة في جنوب السودان"),
    "MINUSCA": ("UN Multidimensional Integrated Stabilization Mission in the Central African Republic",
                "Mission multidimensionnelle intégrée des Nations Unies pour la stabilisation en République "
                "centrafricaine",
                "بعثة الأمم المتحدة المتكاملة المتعددة الأبعاد لتحقيق الاستقرار في جمهورية أفريقيا الوسطى"),
    "UNIFIL": ("UN Interim Force in Lebanon", "Force intérimaire des Nations Unies au Liban",
               "قوة الأمم المتحدة المؤقتة في لبنان"),
    "UNISFA": ("UN Interim Security Force for Abyei", "Force intérimaire de sécurité des Nations Unies pour Abyei",
               "قوة الأمم المتحدة الأمنية المؤقتة لأبيي"),
    "MINURSO": ("UN Mission for the Referendum in Western Sahara",
                "Mission des Nations Unies pour l’organisation d’un référendum au Sahara occidental",
                "بعثة الأمم المتحدة لتنظيم استفتاء في الصحراء الغربية"),
    "UNFICYP": ("UN Peacekeeping Force in Cyprus", "Force des Nations Unies chargée du maintien de la paix à Chypre",
                "قوة الأمم المتحدة لحفظ السلام في قبرص"),
    "UNDOF": ("UN Disengagement Observer Force", "Force des Nations Unies chargée d’observer le dégagement",
              "قوة الأمم المتحدة لمراقبة فض الاشتباك"),
    "UNMIK": ("UN Interim Administration Mission in Kosovo",
              "Mission d’administration intérimaire des Nations Unies au Kosovo",
              "بعثة الأمم المتحدة للإدارة المؤقتة في كوسوفو"),
    "UNAMA": ("UN Assistance Mission in Afghanistan", "Mission d’assistance des Nations Unies en Afghanistan",
              "بعثة الأمم المتحدة لتقديم المساعدة إلى أفغانستان"),
    "UNAMI": ("UN Assistance Mission for Iraq", "Mission d’assistance des Nations Unies pour l’Iraq",
              "بعثة الأمم المتحدة لتقديم المساعدة إلى العراق"),
    "UNSMIL": ("UN Support Mission in Libya", "Mission d’appui des Nations Unies en Libye",
               "بعثة الأمم المتحدة للدعم في ليبيا"),
    "UNSOM": ("UN Assistance Mission in Somalia", "Mission d’assistance des Nations Unies en Somalie",
              "بعثة الأمم المتحدة لتقديم المساعدة إلى الصومال"),
    "BINUH": ("UN Integrated Office in Haiti", "Bureau intégré des Nations Unies en Haïti",
              "مكتب الأمم المتحدة المتكامل في هايتي"),
    "UNIOGBIS": ("UN Integrated Peacebuilding Office in Guinea-Bissau",
                 "Bureau intégré des Nations Unies pour la consolidation de la paix en Guinée-Bissau",
                 "مكتب الأمم المتحدة المتكامل لبناء السلام في غينيا - بيساو"),
}
_COLUMN = {"fr": 1, "ar": 2}


def label(group: str, value: str | None) -> str:
    """The translated label of a stored value; an unknown value shows as stored rather than hiding."""
    if value is None:
        return ""
    name = GROUPS[group].get(value)
    return str(name) if name is not None else value


def mission_name(mission, language: str | None = None) -> str:
    """The mission's name in the interface language where it has an official one."""
    language = language or str(get_locale())
    official = MISSION_NAMES.get(mission.code)
    if official is None or language not in _COLUMN or mission.name != official[0]:
        return mission.name
    return official[_COLUMN[language]]
