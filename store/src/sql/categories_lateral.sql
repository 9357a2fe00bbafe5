CROSS JOIN LATERAL (
    SELECT array_agg(c.slug ORDER BY ic.position, c.slug) AS slugs
    FROM initiative_categories ic JOIN categories c ON c.id = ic.category_id
    WHERE ic.initiative_id = i.id
) AS cats
