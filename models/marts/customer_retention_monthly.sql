-- One row per monthly customer cohort x month offset: customers whose first order was
-- created in cohort_month (reporting time zone), and the share of them who ordered (any
-- status) in the month month_offset months later; offsets run to the last month with orders.
with

orders as (
    select * from {{ ref('orders') }}
    where customer_id is not null
),

list_customer_months as (
    select distinct
        customer_id,
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as order_month
    from orders
),

assign_cohorts as (
    select
        customer_id,
        min(order_month) as cohort_month
    from list_customer_months
    group by customer_id
),

size_cohorts as (
    select
        cohort_month,
        count(*) as cohort_size
    from assign_cohorts
    group by cohort_month
),

list_months as (
    select series_date as order_month
    from {{ date_series(
        '(select min(cohort_month) from assign_cohorts)',
        '(select max(order_month) from list_customer_months)'
    ) }}
    where cast({{ dbt.date_trunc('month', 'series_date') }} as date) = series_date
),

count_ordering_customers as (
    select
        assign_cohorts.cohort_month,
        list_customer_months.order_month,
        count(*) as ordering_customers
    from list_customer_months
    inner join assign_cohorts on list_customer_months.customer_id = assign_cohorts.customer_id
    group by assign_cohorts.cohort_month, list_customer_months.order_month
),

pair_cohort_months as (
    select
        size_cohorts.cohort_month,
        size_cohorts.cohort_size,
        list_months.order_month
    from size_cohorts
    inner join list_months on size_cohorts.cohort_month <= list_months.order_month
),

number_months as (
    select
        *,
        (extract(year from order_month) - extract(year from cohort_month)) * 12
        + extract(month from order_month)
        - extract(month from cohort_month) as month_offset
    from pair_cohort_months
),

fill_cohort_months as (
    select
        size_cohorts.cohort_month,
        cast(size_cohorts.month_offset as {{ dbt.type_int() }}) as month_offset,
        size_cohorts.order_month as month_start,
        size_cohorts.cohort_size,
        coalesce(count_ordering_customers.ordering_customers, 0) as ordering_customers
    from number_months as size_cohorts
    left join count_ordering_customers
        on
            size_cohorts.cohort_month = count_ordering_customers.cohort_month
            and size_cohorts.order_month = count_ordering_customers.order_month
),

compute_rates as (
    select
        *,
        {{ rate('ordering_customers', 'cohort_size') }} as retention_rate
    from fill_cohort_months
)

select * from compute_rates
