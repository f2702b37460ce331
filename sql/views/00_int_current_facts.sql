-- int_current_facts: facts of each article's current extractor version only.
-- Grain: one row per fact. Rule: when an article is reprocessed with a newer extractor, its older
-- facts are replaced; this view also guards against any leftover rows of older versions.
create or replace view int_current_facts as
with final as (
    select
        f.*
    from facts f
    join articles a
        on a.article_id = f.article_id
       and a.extractor_version = f.extractor_version
)
select * from final
