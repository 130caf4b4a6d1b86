"""Contacts of company customers (姓名, 职务, 手机, 邮箱, 首要联系人), declared on the entity kit."""
