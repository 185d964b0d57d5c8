"""Translated labels for stored values: what the database holds ("after_each", "police") is never
shown as it is. One definition, read by views, forms and templates (`label(group, value)`).

Mission names: the UN's official French and Arabic names of the missions the demo and most
deployments use (from the missions' mandating resolutions as published in the three languages).
A mission not in the table, or one an admin renamed, shows its name as stored.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core import languages

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

# code -> {language code: official name}; "en" is the name as seeded. A language with no name here
# (a fourth one configured, until its names are added) shows the mission's name as stored.
MISSION_NAMES = {
    "MONUSCO": {
        "en": "UN Organization Stabilization Mission in the DR Congo",
        "fr": "Mission de l’Organisation des Nations Unies pour la stabilisation en République démocratique du Congo",
        "ar": "بعثة منظمة الأمم المتحدة لتحقيق الاستقرار في جمهورية الكونغو الديمقراطية",
    },
    "UNMISS": {
        "en": "UN Mission in South Sudan",
        "fr": "Mission des Nations Unies au Soudan du Sud",
        "ar": "بعثة الأمم المتحدة في جنوب السودان",
    },
    "MINUSCA": {
        "en": "UN Multidimensional Integrated Stabilization Mission in the Central African Republic",
        "fr": ("Mission multidimensionnelle intégrée des Nations Unies pour la stabilisation en République "
               "centrafricaine"),
        "ar": "بعثة الأمم المتحدة المتكاملة المتعددة الأبعاد لتحقيق الاستقرار في جمهورية أفريقيا الوسطى",
    },
    "UNIFIL": {
        "en": "UN Interim Force in Lebanon",
        "fr": "Force intérimaire des Nations Unies au Liban",
        "ar": "قوة الأمم المتحدة المؤقتة في لبنان",
    },
    "UNISFA": {
        "en": "UN Interim Security Force for Abyei",
        "fr": "Force intérimaire de sécurité des Nations Unies pour Abyei",
        "ar": "قوة الأمم المتحدة الأمنية المؤقتة لأبيي",
    },
    "MINURSO": {
        "en": "UN Mission for the Referendum in Western Sahara",
        "fr": "Mission des Nations Unies pour l’organisation d’un référendum au Sahara occidental",
        "ar": "بعثة الأمم المتحدة لتنظيم استفتاء في الصحراء الغربية",
    },
    "UNFICYP": {
        "en": "UN Peacekeeping Force in Cyprus",
        "fr": "Force des Nations Unies chargée du maintien de la paix à Chypre",
        "ar": "قوة الأمم المتحدة لحفظ السلام في قبرص",
    },
    "UNDOF": {
        "en": "UN Disengagement Observer Force",
        "fr": "Force des Nations Unies chargée d’observer le dégagement",
        "ar": "قوة الأمم المتحدة لمراقبة فض الاشتباك",
    },
    "UNMIK": {
        "en": "UN Interim Administration Mission in Kosovo",
        "fr": "Mission d’administration intérimaire des Nations Unies au Kosovo",
        "ar": "بعثة الأمم المتحدة للإدارة المؤقتة في كوسوفو",
    },
    "UNAMA": {
        "en": "UN Assistance Mission in Afghanistan",
        "fr": "Mission d’assistance des Nations Unies en Afghanistan",
        "ar": "بعثة الأمم المتحدة لتقديم المساعدة إلى أفغانستان",
    },
    "UNAMI": {
        "en": "UN Assistance Mission for Iraq",
        "fr": "Mission d’assistance des Nations Unies pour l’Iraq",
        "ar": "بعثة الأمم المتحدة لتقديم المساعدة إلى العراق",
    },
    "UNSMIL": {
        "en": "UN Support Mission in Libya",
        "fr": "Mission d’appui des Nations Unies en Libye",
        "ar": "بعثة الأمم المتحدة للدعم في ليبيا",
    },
    "UNSOM": {
        "en": "UN Assistance Mission in Somalia",
        "fr": "Mission d’assistance des Nations Unies en Somalie",
        "ar": "بعثة الأمم المتحدة لتقديم المساعدة إلى الصومال",
    },
    "BINUH": {
        "en": "UN Integrated Office in Haiti",
        "fr": "Bureau intégré des Nations Unies en Haïti",
        "ar": "مكتب الأمم المتحدة المتكامل في هايتي",
    },
    "UNIOGBIS": {
        "en": "UN Integrated Peacebuilding Office in Guinea-Bissau",
        "fr": "Bureau intégré des Nations Unies pour la consolidation de la paix en Guinée-Bissau",
        "ar": "مكتب الأمم المتحدة المتكامل لبناء السلام في غينيا - بيساو",
    },
}


def label(group: str, value: str | None) -> str:
    """The translated label of a stored value; an unknown value shows as stored rather than hiding."""
    if value is None:
        return ""
    name = GROUPS[group].get(value)
    return str(name) if name is not None else value


def mission_name(mission, language: str | None = None) -> str:
    """The mission's name in the interface language where it has an official one."""
    language = language or languages.current_code()
    official = MISSION_NAMES.get(mission.code)
    if official is None or mission.name != official["en"]:
        return mission.name
    return official.get(language) or mission.name
