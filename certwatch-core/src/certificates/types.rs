//! The 30 certificate types of the module reference, seeded by the
//! migrations of both backends. The list here is the source of truth the
//! migrations are checked against (see the conformance story).

/// `(code, name, description)` of every seeded certificate type.
pub const SEEDED_TYPES: [(&str, &str, &str); 30] = [
    ("ISO_9001", "ISO 9001", "Quality management systems"),
    ("ISO_14001", "ISO 14001", "Environmental management systems"),
    ("ISO_45001", "ISO 45001", "Occupational health and safety management systems"),
    ("EMAS", "EMAS", "EU Eco-Management and Audit Scheme"),
    ("TISAX", "TISAX", "Trusted Information Security Assessment Exchange (automotive)"),
    ("ISO_27001", "ISO/IEC 27001", "Information security management systems"),
    ("ISO_50001", "ISO 50001", "Energy management systems"),
    ("ISO_22301", "ISO 22301", "Business continuity management systems"),
    ("ISO_13485", "ISO 13485", "Medical devices quality management systems"),
    ("ISO_20000", "ISO/IEC 20000-1", "IT service management systems"),
    ("SA_8000", "SA8000", "Social accountability"),
    ("OHSAS_18001", "OHSAS 18001", "Occupational health and safety (withdrawn, superseded by ISO 45001)"),
    ("FSC", "FSC", "Forest Stewardship Council chain of custody"),
    ("PEFC", "PEFC", "Programme for the Endorsement of Forest Certification"),
    ("BSCI", "amfori BSCI", "Business Social Compliance Initiative"),
    ("SEDEX", "Sedex SMETA", "Sedex Members Ethical Trade Audit"),
    ("ECOVADIS", "EcoVadis", "EcoVadis sustainability rating"),
    ("CDP", "CDP", "Carbon Disclosure Project"),
    ("SBTi", "SBTi", "Science Based Targets initiative"),
    ("GRI", "GRI", "Global Reporting Initiative standards"),
    ("IATF_16949", "IATF 16949", "Automotive quality management systems"),
    ("AS_9100", "AS9100", "Aviation, space and defence quality management systems"),
    ("NADCAP", "Nadcap", "National Aerospace and Defense Contractors Accreditation Program"),
    ("ISO_3834", "ISO 3834", "Quality requirements for fusion welding"),
    ("EN_1090", "EN 1090", "Execution of steel and aluminium structures"),
    ("CE_MARKING", "CE marking", "EU conformity marking"),
    ("API_SPEC", "API Spec Q1", "American Petroleum Institute specifications"),
    ("PED_2014_68_EU", "PED 2014/68/EU", "Pressure Equipment Directive"),
    ("ATEX", "ATEX", "Equipment for explosive atmospheres (EU)"),
    ("IECEx", "IECEx", "IEC system for equipment in explosive atmospheres"),
];
