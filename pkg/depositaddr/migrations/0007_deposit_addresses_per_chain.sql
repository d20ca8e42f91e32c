-- The same deposit address may be allocated on several chains: one row per
-- chain and address. Safe to repeat.
ALTER TABLE deposit_addresses DROP PRIMARY KEY, ADD PRIMARY KEY (chain, address);
