-- One row per weekly cohort x week offset: persons whose first human visit fell in
-- cohort_week (weeks start Monday, reporting time zone), and the share of them with a visit
-- in the week week_offset weeks later; offsets run from 0 to the last week with visits.
with

sessions as (
    select * from {{ ref('sessions') }}
),

list_person_weeks as (
    select distinct
        person_id,
        cast({{ dbt.date_trunc('week', 'visit_date') }} as date) as activity_week
    from sessions
),

assign_cohorts as (
    select
        person_id,
        min(activity_week) as cohort_week
    from list_person_weeks
    group by person_id
),

size_cohorts as (
    select
        cohort_week,
        count(*) as cohort_size
    from assign_cohorts
    group by cohort_week
),

list_weeks as (
    select
        series_date as activity_week,
        row_number() over (order by series_date) as week_index
    from {{ date_series(
        '(select min(cohort_week) from assign_cohorts)',
        '(select max(activity_week) from list_person_weeks)'
    ) }}
    where cast({{ dbt.date_trunc('week', 'series_date') }} as date) = series_date
),

count_active_persons as (
    select
        assign_cohorts.cohort_week,
        list_person_weeks.activity_week,
        count(*) as active_persons
    from list_person_weeks
    inner join assign_cohorts on list_person_weeks.person_id = assign_cohorts.person_id
    group by assign_cohorts.cohort_week, list_person_weeks.activity_week
),

number_weeks as (
    select
        size_cohorts.cohort_week,
        size_cohorts.cohort_size,
        list_weeks.activity_week,
        list_weeks.week_index - cohort_weeks.week_index as week_offset
    from size_cohorts
    inner join list_weeks as cohort_weeks on size_cohorts.cohort_week = cohort_weeks.activity_week
    inner join list_weeks on size_cohorts.cohort_week <= list_weeks.activity_week
),

fill_cohort_weeks as (
    select
        size_cohorts.cohort_week,
        cast(size_cohorts.week_offset as {{ dbt.type_int() }}) as week_offset,
        size_cohorts.activity_week as week_start,
        size_cohorts.cohort_size,
        coalesce(count_active_persons.active_persons, 0) as active_persons
    from number_weeks as size_cohorts
    left join count_active_persons
        on
            size_cohorts.cohort_week = count_active_persons.cohort_week
            and size_cohorts.activity_week = count_active_persons.activity_week
),

compute_rates as (
    select
        *,
        {{ rate('active_persons', 'cohort_size') }} as retention_rate
    from fill_cohort_weeks
)

select * from compute_rates
