-- Bench-only computed columns so PostGraphile can answer the same queries as coinflow's API.
-- coins.latestPrice: the newest price across sources (a tie goes to the later source name).
CREATE OR REPLACE FUNCTION coins_latest_price(c coins) RETURNS prices AS $$
    SELECT p.*
    FROM (SELECT DISTINCT source FROM coin_sources WHERE coin_id = c.id) s
    CROSS JOIN LATERAL (
        SELECT * FROM prices WHERE coin_id = c.id AND prices.source = s.source ORDER BY observed_at DESC LIMIT 1
    ) p
    ORDER BY p.observed_at DESC, p.source DESC
    LIMIT 1
$$ LANGUAGE sql STABLE;

DO $$ BEGIN
    CREATE TYPE series_columns AS (
        timestamps bigint[], price_usd float8[], market_cap_usd float8[], volume_24h_usd float8[]
    );
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- coins.series(src, since): one source's points as columns, oldest first.
CREATE OR REPLACE FUNCTION coins_series(c coins, src text, since timestamptz) RETURNS series_columns AS $$
    SELECT array_agg(extract(epoch FROM observed_at)::bigint ORDER BY observed_at),
           array_agg(price_usd ORDER BY observed_at),
           array_agg(market_cap_usd ORDER BY observed_at),
           array_agg(volume_24h_usd ORDER BY observed_at)
    FROM prices WHERE coin_id = c.id AND source = src AND observed_at >= since
$$ LANGUAGE sql STABLE;

-- prices.coin_id has no foreign key (the load step checks orphans set-wise, see models/load.py):
-- a smart comment declares the relation so PostGraphile exposes coins.pricesByCoinId.
COMMENT ON TABLE prices IS E'@foreignKey (coin_id) references coins (id)';
