from django.contrib import admin

from .models import Customer, Identity, Organization


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "email", "organization", "created_at"]
    search_fields = ["name", "email", "identities__handle"]
    inlines = [IdentityInline]


admin.site.register(Organization)
