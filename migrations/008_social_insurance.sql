-- Social insurance (service 998): dated legal parameters, SI units, payroll
-- declarations employee by employee, monthly obligations and the payments
-- allocated to them. Money is numeric(20,0) whole đồng; rates numeric(9,6).
-- Supersedes insurance_rates and insurance_salary_caps (kept for history:
-- they priced a whole salary fund, which overcharged uneven payrolls).

-- One dated value per legal parameter (and region, for minimum wages): a
-- month is priced with the newest row effective on its first day. Every row
-- names its legal source; verified = false marks values the docs list as
-- not checked against the official text (docs/SOCIAL_INSURANCE.md).
CREATE TABLE si_parameters (
    name           text NOT NULL CHECK (name IN (
        'reference_level', 'minimum_wage', 'cap_multiple_si_hi', 'cap_multiple_ui',
        'rate_employer_social', 'rate_employer_health', 'rate_employer_unemployment',
        'rate_employee_social', 'rate_employee_health', 'rate_employee_unemployment',
        'rate_household_health')),
    region         smallint NOT NULL DEFAULT 0 CHECK (region BETWEEN 0 AND 4),
    value          numeric(20,6) NOT NULL CHECK (value >= 0),
    effective_from date NOT NULL CHECK (extract(day FROM effective_from) = 1),
    source         text NOT NULL CHECK (length(source) > 0),
    verified       boolean NOT NULL,
    PRIMARY KEY (name, region, effective_from),
    CHECK ((name = 'minimum_wage') = (region > 0))
);

INSERT INTO si_parameters (name, region, value, effective_from, source, verified) VALUES
    ('reference_level', 0, 1490000, '2019-07-01', 'Decree 38/2019/NĐ-CP (base salary)', false),
    ('reference_level', 0, 1800000, '2023-07-01', 'Decree 24/2023/NĐ-CP (base salary)', false),
    ('reference_level', 0, 2340000, '2024-07-01', 'Decree 73/2024/NĐ-CP (base salary); from 2025-07-01 the reference level of Law 41/2024/QH15 Art. 7, equal to the base salary until replaced', true),
    ('minimum_wage', 1, 4680000, '2022-07-01', 'Decree 38/2022/NĐ-CP', false),
    ('minimum_wage', 2, 4160000, '2022-07-01', 'Decree 38/2022/NĐ-CP', false),
    ('minimum_wage', 3, 3640000, '2022-07-01', 'Decree 38/2022/NĐ-CP', false),
    ('minimum_wage', 4, 3250000, '2022-07-01', 'Decree 38/2022/NĐ-CP', false),
    ('minimum_wage', 1, 4960000, '2024-07-01', 'Decree 74/2024/NĐ-CP', true),
    ('minimum_wage', 2, 4410000, '2024-07-01', 'Decree 74/2024/NĐ-CP', true),
    ('minimum_wage', 3, 3860000, '2024-07-01', 'Decree 74/2024/NĐ-CP', true),
    ('minimum_wage', 4, 3450000, '2024-07-01', 'Decree 74/2024/NĐ-CP', true),
    ('minimum_wage', 1, 5310000, '2026-01-01', 'Decree 293/2025/NĐ-CP', false),
    ('minimum_wage', 2, 4730000, '2026-01-01', 'Decree 293/2025/NĐ-CP', false),
    ('minimum_wage', 3, 4140000, '2026-01-01', 'Decree 293/2025/NĐ-CP', false),
    ('minimum_wage', 4, 3700000, '2026-01-01', 'Decree 293/2025/NĐ-CP', false),
    ('cap_multiple_si_hi', 0, 20, '2016-01-01', 'Law 58/2014/QH13 Art. 89; Law 41/2024/QH15 Art. 31 from 2025-07-01 (20 × reference level)', true),
    ('cap_multiple_ui', 0, 20, '2016-01-01', 'Law on Employment 38/2013/QH13 Art. 58 (20 × regional minimum wage)', true),
    ('rate_employer_social', 0, 0.170000, '2016-06-01', '14% pension and survivorship + 3% sickness and maternity: Law 58/2014/QH13 Art. 86; Law 41/2024/QH15 Art. 33 from 2025-07-01', true),
    ('rate_employer_health', 0, 0.030000, '2016-06-01', 'Law on Health Insurance; Decree 146/2018/NĐ-CP Art. 7 (2/3 of 4.5%)', true),
    ('rate_employer_unemployment', 0, 0.010000, '2016-06-01', 'Law on Employment 38/2013/QH13 Art. 57', true),
    ('rate_employee_social', 0, 0.080000, '2016-06-01', 'Law 58/2014/QH13 Art. 85; Law 41/2024/QH15 Art. 33 from 2025-07-01', true),
    ('rate_employee_health', 0, 0.015000, '2016-06-01', 'Decree 146/2018/NĐ-CP Art. 7 (1/3 of 4.5%)', true),
    ('rate_employee_unemployment', 0, 0.010000, '2016-06-01', 'Law on Employment 38/2013/QH13 Art. 57', true),
    ('rate_household_health', 0, 0.045000, '2018-12-01', 'Decree 146/2018/NĐ-CP Art. 7(5) (4.5% of the base salary; 70/60/50/40% from the 2nd member)', false);

-- An SI unit (mã đơn vị) a portal registered with VSS: its minimum-wage
-- region and its occupational-accident rate (0.5%, or 0.3% where Decree
-- 58/2020 grants the reduced rate). first_month is the first month it owes.
CREATE TABLE si_units (
    id          text PRIMARY KEY CHECK (id ~ '^siu_[A-Za-z0-9]{16,40}$'),
    portal_id   text NOT NULL REFERENCES portals,
    livemode    boolean NOT NULL,
    code        text NOT NULL CHECK (code ~ '^[A-Z]{2}[0-9]{4}[A-Z0-9]{1,3}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    tax_code    text NOT NULL CHECK (tax_code ~ '^[0-9]{10}(-[0-9]{3})?$'),
    service_code text NOT NULL REFERENCES services,
    region      smallint NOT NULL CHECK (region BETWEEN 1 AND 4),
    oa_rate     numeric(9,6) NOT NULL CHECK (oa_rate IN (0.005, 0.003)),
    first_month date NOT NULL CHECK (extract(day FROM first_month) = 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (portal_id, livemode, code)
);

-- A declaration is the unit's whole payroll from a month on; the one in
-- force for a month is the latest effective by then (newest upload wins a tie).
CREATE TABLE si_declarations (
    id             text PRIMARY KEY CHECK (id ~ '^sid_[A-Za-z0-9]{16,40}$'),
    unit_id        text NOT NULL REFERENCES si_units,
    effective_from date NOT NULL CHECK (extract(day FROM effective_from) = 1),
    employees      integer NOT NULL CHECK (employees >= 0),
    seq            bigserial NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX si_declarations_in_force ON si_declarations (unit_id, effective_from DESC, seq DESC);

CREATE TABLE si_employees (
    declaration_id text NOT NULL REFERENCES si_declarations ON DELETE CASCADE,
    line           integer NOT NULL,
    si_number      text NOT NULL CHECK (si_number ~ '^[0-9]{10}$'),
    full_name      text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    foreign_worker boolean NOT NULL,
    salary         numeric(20,0) NOT NULL CHECK (salary > 0),
    allowances     numeric(20,0) NOT NULL CHECK (allowances >= 0 AND allowances <= salary),
    from_month     date NOT NULL,
    to_month       date,
    PRIMARY KEY (declaration_id, si_number),
    CHECK (to_month IS NULL OR to_month >= from_month)
);

-- One obligation per unit and month, priced from the declaration in force.
CREATE TABLE si_obligations (
    unit_id      text NOT NULL REFERENCES si_units,
    month        date NOT NULL CHECK (extract(day FROM month) = 1),
    due_date     date NOT NULL,
    amount       numeric(20,0) NOT NULL CHECK (amount >= 0),
    lines        jsonb NOT NULL,
    declaration_id text REFERENCES si_declarations,
    created_at   timestamptz NOT NULL DEFAULT now(),
    due_soon_sent boolean NOT NULL DEFAULT false,
    overdue_sent  boolean NOT NULL DEFAULT false,
    paid_sent     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (unit_id, month)
);

-- A payment made for a unit's balance; settlement allocates it.
ALTER TABLE payments ADD COLUMN si_unit_id text REFERENCES si_units;
CREATE INDEX payments_si_unit ON payments (si_unit_id) WHERE si_unit_id IS NOT NULL;

-- Payments received for a unit, on the Vietnamese calendar day they
-- succeeded; the statement allocates them oldest obligation first.
CREATE TABLE si_payments (
    payment_id text PRIMARY KEY REFERENCES payments,
    unit_id    text NOT NULL REFERENCES si_units,
    paid_on    date NOT NULL,
    amount     numeric(20,0) NOT NULL CHECK (amount > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX si_payments_unit ON si_payments (unit_id, paid_on);

-- Household health-insurance renewals (card codes GD…) are priced by their own rule.
ALTER TABLE services DROP CONSTRAINT services_computed_rule_check;
ALTER TABLE services ADD CONSTRAINT services_computed_rule_check
    CHECK (computed_rule IN ('tax_late_interest', 'social_insurance', 'household_health_insurance'));
