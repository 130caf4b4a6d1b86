"""Units a customer owns (一台冰箱, 序列号 X, 某日购买): the record warranty and service hang on."""
