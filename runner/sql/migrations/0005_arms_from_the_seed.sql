-- The experiment's arms are listed once, in the build's experiment_arms seed: the history
-- keeps whichever arm the candidates carried, and the build tests that it is a seeded arm
-- (stg_reactivation__history). A fixed list here would make a new arm fail every claim.

alter table reactivation.client_reactivation_history
drop constraint if exists client_reactivation_history_arm_check;
